"""Every Pants-built Lambda zip: lean, self-contained, and its sample event answers
with the sample response's shape."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from common.congress import demo_data
from common.storage import Warehouse
from tests.congress_pipeline import ORDER as CONGRESS
from tests.lambda_zip import invoke, unpack, zip_path
from tests.shared_data import congress_sources, shared_file
from tests.totesys_packets import first_packets

LAMBDA = Path(os.path.dirname(os.path.abspath(__file__))).parent / "lambda"
FORBIDDEN = ("prefect", "pandas", "pyarrow")
ORDER = [*CONGRESS, "process_totesys_packets"]


def test_every_handler_is_packaged_and_tested():
    assert {p.parent.name for p in LAMBDA.glob("*/handler.py")} == set(ORDER)


@pytest.mark.parametrize("function", ORDER)
def test_zip_is_lean(function):
    with zipfile.ZipFile(zip_path(function)) as zf:
        tops = {n.split("/")[0] for n in zf.namelist()}
        unzipped = sum(i.file_size for i in zf.infolist())
    leaked = {t for t in tops if t.split("-")[0].split(".")[0].lower() in FORBIDDEN}
    assert not leaked
    assert {"polars", "pandera", "aws_lambda_powertools", "common"} <= tops
    assert unzipped < 250 * 1000 * 1000  # AWS counts function + layers, unzipped


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory):
    """A warehouse the samples can run against: the real files when present."""
    wh = Warehouse(str(tmp_path_factory.mktemp("wh")))
    demo_data.generate(wh, rows=500, members=10, assets=30, seed=1)
    return wh


def sample(function: str) -> tuple[dict, dict]:
    event = json.loads((LAMBDA / function / "event.json").read_text())
    response = json.loads((LAMBDA / function / "response.json").read_text())
    if "source_uri" in event:  # the sample names S3; run it on the same files locally
        event = {
            "source_uri": shared_file("congress", "house_all_transactions.json"),
            **congress_sources(),
        }
    if function == "build_dim_members":
        event = congress_sources()
    return event, response


@pytest.fixture(scope="module")
def totesys_packets(real_warehouse):
    first_packets(Warehouse(real_warehouse.uri("ingestion")))


def test_samples_answer_like_their_responses(real_warehouse, totesys_packets, tmp_path):
    for function in ORDER:
        event, expected = sample(function)
        code = unpack(function, str(tmp_path / function))
        out = invoke(code, function, event, {"WAREHOUSE_URI": real_warehouse.root})
        assert "result" in out, (function, out)
        got = out["result"]
        assert got["statusCode"] == expected["statusCode"], (function, got)
        assert set(json.loads(got["body"])) == set(
            json.loads(expected["body"])
        ), function
