"""The Totesys flow (discovering packets) equals the packaged Lambda's output."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness

from common.storage import Warehouse
from tests.lambda_zip import invoke, unpack
from tests.totesys_packets import first_packets


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_flow_discovers_packets_and_matches_the_lambda(warehouse, tmp_path):
    from flows.totesys import totesys

    packets = first_packets(Warehouse(warehouse.uri("ingestion")))
    flow_summary = totesys()  # no packets given: it finds the unprocessed ones
    assert {(p["table"], p["id"]) for p in flow_summary["packets"]} == {
        (p["table"], p["id"]) for p in packets
    }
    assert totesys()["packets"] == []  # nothing left to do

    lambda_wh = Warehouse(str(tmp_path / "lambda_wh"))
    first_packets(Warehouse(lambda_wh.uri("ingestion")))
    code = unpack("process_totesys_packets", str(tmp_path / "code"))
    out = invoke(
        code,
        "process_totesys_packets",
        {"packets": packets},
        {"WAREHOUSE_URI": lambda_wh.root},
    )
    assert out["result"]["statusCode"] == 200, out
    mine = Warehouse(warehouse.uri("processed"))
    theirs = Warehouse(lambda_wh.uri("processed"))
    assert mine.keys("") == theirs.keys("")
    assert all(mine.read_bytes(k) == theirs.read_bytes(k) for k in mine.keys(""))


def test_cli_runs_the_totesys_flow_too(warehouse):
    from typer.testing import CliRunner

    from flows.cli import app

    first_packets(Warehouse(warehouse.uri("ingestion")))
    runner = CliRunner()
    done = runner.invoke(app, ["run", "totesys"])
    assert done.exit_code == 0, done.output
    processed = Warehouse(warehouse.uri("processed"))
    assert processed.keys("fact_sales_order", ".parquet")
    again = runner.invoke(app, ["run", "totesys"])
    assert again.exit_code == 0 and '"packets": []' in again.output
    wrong = runner.invoke(app, ["run", "totesys", "--rebuild"])
    assert wrong.exit_code == 2 and "congress-gold options" in wrong.output
