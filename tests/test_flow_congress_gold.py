"""The Congress flow under Prefect's test harness equals the packaged Lambdas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from prefect.artifacts import Artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import Artifact as ArtifactRecord
from prefect.logging.handlers import APILogWorker
from prefect.testing.utilities import prefect_test_harness

from common.congress import demo_data
from common.congress.build_fact_transactions import JOB
from common.storage import Warehouse
from tests.congress_pipeline import run_lambdas, snapshot
from tests.fact_reader import read_fact
from tests.shared_data import congress_sources, shared_file


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_flow_on_generated_data_equals_the_lambdas(warehouse, tmp_path):
    from flows.congress_gold import congress_gold

    lambda_wh = Warehouse(str(tmp_path / "lambda_wh"))
    for wh in (warehouse, lambda_wh):
        demo_data.generate(wh, rows=3_000, members=40, assets=150, seed=9)

    state = congress_gold(rebuild=True, build_members=False, return_state=True)
    result = state.result()

    # the jobs' Powertools records reach the Prefect run log too
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    APILogWorker.drain_all(timeout=30)  # run logs are shipped in batches
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    assert any('"message":"job finished"' in log.message for log in logs)
    assert (
        result["build_fact_transactions"]["transactions_processed"]
        == read_fact(warehouse).height
    )
    artifact = Artifact.get("congress-gold-summary")
    assert isinstance(artifact, ArtifactRecord)
    assert "build_fact_transactions" in str(artifact.data)
    assert "Quarantined rows in this run" in str(artifact.data)
    assert "| seconds |" in str(artifact.data)
    movers = Artifact.get("congress-top-movers")
    assert isinstance(movers, ArtifactRecord) and movers.type == "table"
    assert "net_volume" in str(movers.data)
    events: dict[str, dict[str, Any]] = {
        "build_dim_assets": {},
        "build_dim_dates": {},
        "build_fact_transactions": {"rebuild": True},
        "compute_trending_stocks": {},
    }
    lambda_results = run_lambdas(lambda_wh, str(tmp_path / "code"), events)
    job = "build_fact_transactions"
    assert lambda_results[job] == result[job]
    mine, theirs = snapshot(warehouse), snapshot(lambda_wh)
    for table in mine:
        assert mine[table].equals(theirs[table]), table


def test_real_house_file_in_both_runtimes(warehouse, tmp_path):
    from flows.congress_gold import congress_gold

    source = shared_file("congress", "house_all_transactions.json")
    sources = congress_sources()
    result = congress_gold(
        rebuild=True,
        source_uri=source,
        legislators_current_uri=sources["legislators_current_uri"],
        legislators_historical_uri=sources["legislators_historical_uri"],
    )

    ingest = result["ingest_house_ptr"]
    assert ingest["silver_rows"] + ingest["quarantined"] == ingest["rows_in"]
    assert ingest["resolved_share"] >= 0.99
    assert result["compute_trending_stocks"]["rows_out"] > 0
    assert "ingest_senate_ptr" not in result  # only the House file was named

    lambda_wh = Warehouse(str(tmp_path / "lambda_wh"))
    events: dict[str, dict[str, Any]] = {
        "ingest_house_ptr": {"source_uri": source, **sources},
        "build_dim_members": sources,
        "build_dim_assets": {},
        "build_dim_dates": {},
        "build_fact_transactions": {"rebuild": True},
        "compute_trending_stocks": {},
    }
    lambda_results = run_lambdas(lambda_wh, str(tmp_path / "code"), events)
    assert lambda_results["ingest_house_ptr"] == ingest
    mine, theirs = snapshot(warehouse), snapshot(lambda_wh)
    for table in mine:
        assert mine[table].equals(theirs[table]), table


def test_task_is_a_thin_wrapper_callable_without_an_api(warehouse):
    from flows.congress_gold import build_fact_transactions

    demo_data.generate(warehouse, rows=300, members=5, assets=20, seed=4)
    assert build_fact_transactions.name == JOB.name
    summary = build_fact_transactions.fn({"rebuild": True})
    assert summary["transactions_processed"] == read_fact(warehouse).height


def test_a_file_dropped_in_bronze_reaches_gold_by_the_next_run(warehouse):
    """A run with no parameters (the scheduled deployment's, and `cli run
    congress-gold`) ingests every House file in bronze/house/ not ingested yet, once."""
    from flows.congress_gold import congress_gold

    bronze = Path(warehouse.root, "bronze")
    (bronze / "legislators").mkdir(parents=True)
    (bronze / "house").mkdir()
    for field, name in [
        ("legislators_current_uri", "legislators-current.yaml"),
        ("legislators_historical_uri", "legislators-historical.csv"),
    ]:
        shutil.copy(congress_sources()[field], bronze / "legislators" / name)
    source = Path(shared_file("congress", "house_all_transactions.json"))
    house = json.loads(source.read_text())
    (bronze / "house" / "2024.json").write_text(json.dumps(house[:3000]))

    first = congress_gold()
    assert first["ingest_house_ptr"]["files_in"] == 1
    assert first["ingest_senate_ptr"]["files_in"] == 0
    built = read_fact(warehouse)
    assert built.height == first["ingest_house_ptr"]["silver_rows"] > 0

    second = congress_gold()  # nothing new: nothing ingested, gold unchanged
    assert second["ingest_house_ptr"]["files_in"] == 0
    assert second["ingest_house_ptr"]["silver_rows"] == 0
    assert read_fact(warehouse).equals(built)

    (bronze / "house" / "2025.json").write_text(json.dumps(house[3000:]))
    report = max(
        Path(shared_file("congress", "senate_daily")).glob("*.json"),
        key=lambda p: p.stat().st_size,
    )
    (bronze / "senate").mkdir()
    shutil.copy(report, bronze / "senate" / report.name)
    third = congress_gold()
    assert third["ingest_house_ptr"]["files_in"] == 1
    assert third["ingest_senate_ptr"]["files_in"] == 1
    silver = pl.read_parquet(
        warehouse.uri("silver/ptr_transactions/*.parquet"), missing_columns="insert"
    )
    added = third["ingest_house_ptr"]["silver_rows"]
    senate = third["ingest_senate_ptr"]["silver_rows"]
    assert senate == len(silver.filter(pl.col("chamber") == "senate")) > 0
    assert silver.height == first["ingest_house_ptr"]["silver_rows"] + added + senate
    ids = silver.select("doc_id", "txn_index").n_unique()
    assert read_fact(warehouse).height == ids  # every transaction of all three files
