"""The Congress flow under Prefect's test harness equals the packaged Lambda's."""

from __future__ import annotations

import pytest
from prefect.testing.utilities import prefect_test_harness

from common.congress import demo_data
from common.congress.build_fact_transactions import JOB
from common.storage import Warehouse
from tests.fact_reader import read_fact
from tests.lambda_zip import invoke, unpack


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_flow_builds_the_fact_table_like_the_lambda(warehouse, tmp_path):
    from prefect.artifacts import Artifact

    from flows.congress_gold import congress_gold

    demo_data.generate(warehouse, rows=3_000, members=40, assets=150, seed=9)
    lambda_wh = Warehouse(str(tmp_path / "lambda_wh"))
    demo_data.generate(lambda_wh, rows=3_000, members=40, assets=150, seed=9)

    result = congress_gold(rebuild=True)

    summary = result["fact_ptr_transactions"]
    assert summary["transactions_processed"] == read_fact(warehouse).height
    artifact = Artifact.get("congress-gold-summary")
    assert isinstance(artifact, Artifact)
    assert "fact_ptr_transactions" in str(artifact.data)
    assert str(summary["files_written"]) in str(artifact.data)

    code = unpack("build_fact_transactions", str(tmp_path / "code"))
    out = invoke(
        code,
        "build_fact_transactions",
        {"rebuild": True},
        {"WAREHOUSE_URI": lambda_wh.root},
    )
    assert out["result"]["statusCode"] == 200
    assert read_fact(warehouse).equals(read_fact(lambda_wh))


def test_task_is_a_thin_wrapper_callable_without_an_api(warehouse):
    from flows.congress_gold import build_fact_transactions

    demo_data.generate(warehouse, rows=300, members=5, assets=20, seed=4)
    assert build_fact_transactions.name == JOB.name
    summary = build_fact_transactions.fn({"rebuild": True})
    assert summary["transactions_processed"] == read_fact(warehouse).height
