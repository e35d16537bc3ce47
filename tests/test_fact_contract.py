"""A fact table, silver and job state written by the release before Senate ingest
(no `chamber` column, no contract version, the state under the key it had then)
migrate on the next run by themselves."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import cast

import polars as pl

from common.congress import demo_data, fact_contract
from common.congress.build_fact_transactions import (
    FORMER_STATE_KEY,
    JOB,
    STATE_KEY,
)
from common.congress.tables import FACT_PTR, SILVER_PTR
from common.jobs import JobContext, run_job
from tests.fact_reader import read_fact
from tests.silver_versions import new_versions, silver


def as_previous_release(wh) -> None:
    """Rewrite the warehouse as the previous main left it: its layouts exactly."""
    for prefix, dropped in [
        (FACT_PTR, ["chamber"]),
        (SILVER_PTR, ["chamber", "asset_detail"]),
    ]:
        for key in wh.keys(prefix, ".parquet"):
            frame = pl.read_parquet(wh.uri(key))
            wh.write_parquet(frame.drop(dropped, strict=False), key)
    state = Path(wh.root, "_state")
    old = json.loads((state / f"{STATE_KEY}.json").read_text())
    del old["contract"]
    (state / f"{FORMER_STATE_KEY}.json").parent.mkdir(parents=True, exist_ok=True)
    (state / f"{FORMER_STATE_KEY}.json").write_text(json.dumps(old))
    (state / f"{STATE_KEY}.json").unlink()


def test_previous_release_fact_migrates_and_equals_a_rebuild(warehouse):
    demo_data.generate(warehouse, rows=3_000, members=40, assets=200, seed=5)
    run_job(JOB, {"rebuild": True})
    # new silver since then: corrections that move month, as a normal day brings
    newest = cast(dt.datetime, silver(warehouse)["silver_ingest_ts"].max())
    later = new_versions(warehouse, 20, 40, newest + dt.timedelta(hours=1))
    as_previous_release(warehouse)
    partitions = warehouse.keys(FACT_PTR, ".parquet")
    demo_data.append_silver(warehouse, later, "later")

    summary = run_job(JOB, {})
    assert summary["files_migrated"] == len(partitions)
    # the watermark was found under the former key: only the new rows ran
    assert summary["transactions_processed"] == later.height
    for key in warehouse.keys(FACT_PTR, ".parquet"):
        assert "chamber" in pl.scan_parquet(warehouse.uri(key)).collect_schema()
    state = JobContext.from_env().state.get(STATE_KEY)
    assert state and state["contract"] == fact_contract.VERSION
    migrated = read_fact(warehouse)
    assert set(migrated["chamber"]) == {"house"}

    run_job(JOB, {"rebuild": True})  # the oracle: everything rebuilt from silver
    assert migrated.equals(read_fact(warehouse))
    assert "files_migrated" not in run_job(JOB, {})  # once only
