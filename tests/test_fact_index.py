"""The fact index: where incremental runs look for earlier versions of their ids."""

from __future__ import annotations

import datetime as dt
from typing import cast

import polars as pl
import pytest

from common.congress import demo_data, fact_index, fact_rebuild
from common.congress import fact_ptr_transactions as fact
from common.congress.build_fact_transactions import JOB, month_files
from common.congress.tables import FACT_PTR
from common.jobs import run_job
from tests.fact_reader import read_fact
from tests.silver_versions import new_versions, silver


@pytest.fixture
def built(warehouse):
    demo_data.generate(warehouse, rows=3_000, members=40, assets=200, seed=11)
    run_job(JOB, {"rebuild": True})
    return warehouse


def move_versions(wh, n: int, days: int, tag: str) -> pl.DataFrame:
    """Append later versions of n transactions, dated `days` earlier."""
    newest = cast(dt.datetime, silver(wh)["silver_ingest_ts"].max())
    moved = new_versions(wh, n, days, newest + dt.timedelta(minutes=1))
    demo_data.append_silver(wh, moved, tag)
    return moved.select(
        transaction_id=fact.transaction_id(),
        year=pl.col("transaction_date").dt.year(),
        month=pl.col("transaction_date").dt.month(),
    )


def holding(wh, ids: pl.Series) -> set[str]:
    """The fact files holding any of `ids`, read from the files themselves."""
    keys = wh.keys(FACT_PTR, ".parquet")
    paths = (
        wh.scan_parquet(keys, include_file_paths="path")
        .filter(pl.col("transaction_id").is_in(ids.implode()))
        .select(pl.col("path").unique())
        .collect()
        .to_series()
    )
    return {k for k in keys if wh.uri(k) in set(paths)}


def assert_equals_rebuild(wh) -> None:
    incremental = read_fact(wh)
    assert incremental["transaction_id"].is_unique().all()
    run_job(JOB, {"rebuild": True})
    assert incremental.equals(read_fact(wh))


def test_index_is_job_state_and_follows_moved_versions(built):
    base = f"{fact_index.folder()}/base.arrow"
    assert base.startswith("_state/") and built.exists(base)
    assert all(k.endswith("/transactions.parquet") for k in built.keys(FACT_PTR))

    moved = move_versions(built, 5, days=200, tag="moved")
    run_job(JOB, {})

    found = fact_index.files(built, moved["transaction_id"], month_files(built))
    assert holding(built, moved["transaction_id"]) <= set(found)
    assert_equals_rebuild(built)


def test_missing_index_is_rebuilt_from_the_table(built):
    built.delete(built.keys(fact_index.ROOT))
    move_versions(built, 5, days=200, tag="moved")

    run_job(JOB, {})

    assert built.exists(f"{fact_index.folder()}/base.arrow")
    assert_equals_rebuild(built)


def test_index_of_another_polars_build_is_replaced(built):
    # Hashes from another Polars build would point nowhere useful: an empty index
    # under another folder name must be ignored, not trusted.
    foreign = f"{fact_index.ROOT}/hash-0000000000000000/base.arrow"
    built.write_ipc(pl.DataFrame(schema={"h": pl.UInt64, "part": pl.Int32}), foreign)
    built.delete([f"{fact_index.folder()}/base.arrow"])
    move_versions(built, 5, days=200, tag="moved")

    run_job(JOB, {})

    assert not built.exists(foreign)
    assert_equals_rebuild(built)


def test_an_index_of_the_previous_layout_is_replaced_by_the_first_run(built):
    """Previous main kept (h, part) under `hash-<canary>/`: hits named months, not
    files. The first run after the upgrade must not read it as the new layout: it
    builds the new index from the table and removes the old one."""
    table = read_fact(built)
    canary = pl.Series(["fact_ptr_transactions"]).hash().item()
    old = f"{fact_index.ROOT}/hash-{canary:016x}"
    built.delete(built.keys(fact_index.ROOT))
    entries = table.select(
        h=pl.col("transaction_id").hash(), part=pl.col("year") * 100 + pl.col("month")
    )
    built.write_ipc(entries, f"{old}/base.arrow")
    moved = move_versions(built, 5, days=200, tag="moved")

    run_job(JOB, {})

    assert built.exists(f"{fact_index.folder()}/base.arrow")
    assert all(k.startswith(fact_index.folder()) for k in built.keys(fact_index.ROOT))
    assert holding(built, moved["transaction_id"]) <= set(
        fact_index.files(built, moved["transaction_id"], month_files(built))
    )
    assert_equals_rebuild(built)


def test_a_rebuild_in_groups_publishes_what_the_table_gives(built, monkeypatch):
    """A rebuild stages each group's entries and publishes them as the base and
    deltas: the same entries as an index built from the table's own files."""
    monkeypatch.setattr(fact_rebuild, "GROUP_ROWS", 500)
    run_job(JOB, {"rebuild": True})
    keys = built.keys(fact_index.ROOT)
    assert not [k for k in keys if "/staged-" in k]
    assert len([k for k in keys if "/delta-" in k]) >= 2
    published = fact_index.read(built).collect().sort(pl.all())
    fact_index.rebuild(built)
    assert published.equals(fact_index.read(built).collect().sort(pl.all()))


def test_deltas_are_merged_and_keep_every_entry(built, monkeypatch):
    monkeypatch.setattr(fact_index, "MAX_DELTAS", 3)
    moved = []
    for i in range(1, 6):  # the same ids move again and again: stale entries pile up
        moved.append(move_versions(built, 3, days=40 * i, tag=f"m{i}"))
        run_job(JOB, {})
    deltas = [k for k in built.keys(fact_index.folder()) if "/delta-" in k]
    assert len(deltas) < 3
    ids = pl.concat(moved)["transaction_id"]
    latest = read_fact(built).filter(pl.col("transaction_id").is_in(ids.implode()))
    assert latest.height == ids.n_unique()
    found = fact_index.files(built, ids, month_files(built))
    assert holding(built, ids) <= set(found)
    assert_equals_rebuild(built)
