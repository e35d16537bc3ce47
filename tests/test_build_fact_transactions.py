"""The seed's acceptance scenarios for build_fact_transactions, on a local warehouse."""

from __future__ import annotations

import datetime as dt
import json
from typing import cast

import polars as pl
import pytest

from common.congress import demo_data
from common.congress.build_fact_transactions import JOB, STATE_KEY
from common.congress.dim_dates import calendar
from common.congress.tables import DIMENSIONS, SILVER_PTR, fact_partition_key
from common.errors import InvalidEvent, LeaseHeld, MissingTable
from common.jobs import JobContext, run_job
from tests.fact_reader import fact_files, read_fact
from tests.silver_versions import new_versions, silver


@pytest.fixture
def demo(warehouse):
    demo_data.generate(warehouse, rows=5_000, members=60, assets=300, seed=3)
    return warehouse


def test_rebuild_replaces_everything_and_sets_watermark(demo):
    stale = fact_partition_key(1999, 1)
    demo.write_parquet(pl.DataFrame({"x": [1]}), stale)

    summary = run_job(JOB, {"rebuild": True})

    s = silver(demo)
    ids = s.select(
        pl.format("{}-{}", "doc_id", pl.col("txn_index").cast(pl.String).str.zfill(3))
    )
    assert summary["transactions_processed"] == ids.n_unique()
    files = fact_files(demo)
    assert stale not in files
    assert summary["files_written"] == len(files)
    fact = read_fact(demo)
    assert fact.height == ids.n_unique()
    assert fact["transaction_id"].is_unique().all()
    assert fact["transaction_key"].is_unique().all()
    # every row sits in the partition of its own transaction date
    assert (fact["transaction_date_key"] // 10000 == fact["year"]).all()
    assert (fact["transaction_date_key"] // 100 % 100 == fact["month"]).all()
    state = JobContext.from_env().state.get(STATE_KEY)
    assert state is not None
    assert dt.datetime.fromisoformat(state["watermark"]) == s["silver_ingest_ts"].max()


def test_incremental_since_date_rewrites_only_touched_partitions(demo):
    run_job(JOB, {"rebuild": True})
    before = fact_files(demo)
    old_fact = read_fact(demo)
    watermark = cast(dt.datetime, silver(demo)["silver_ingest_ts"].max())
    moved = new_versions(demo, 3, shift_days=70, ts=watermark + dt.timedelta(hours=1))
    demo_data.append_silver(
        demo, moved, "late"
    )  # 3 new versions, dated 70 days earlier
    since = watermark.date()
    landed = silver(demo).filter(
        pl.col("silver_ingest_ts") >= dt.datetime.combine(since, dt.time())
    )

    summary = run_job(JOB, {"rebuild": False, "since_date": since.isoformat()})

    assert (
        summary["transactions_processed"]
        == landed.unique(["doc_id", "txn_index"]).height
    )
    after = fact_files(demo)
    fact = read_fact(demo)
    landed_ids = landed.select(
        transaction_id=pl.format(
            "{}-{}", "doc_id", pl.col("txn_index").cast(pl.String).str.zfill(3)
        )
    )
    touched = {
        fact_partition_key(y, m)
        for frame in (old_fact, fact)
        for y, m in frame.join(landed_ids, on="transaction_id")
        .select("year", "month")
        .iter_rows()
    }
    changed = {k for k in after if before.get(k) != after[k]} | (
        before.keys() - after.keys()
    )
    assert changed <= touched  # nothing outside the touched partitions was rewritten
    assert summary["files_written"] + summary["files_deleted"] == len(touched)
    assert fact.height == old_fact.height
    assert fact["transaction_id"].is_unique().all()
    ids = moved.select(
        pl.format("{}-{}", "doc_id", pl.col("txn_index").cast(pl.String).str.zfill(3))
    )
    for tid, new_date in zip(ids.to_series(), moved["transaction_date"], strict=True):
        row = fact.filter(pl.col("transaction_id") == tid)
        assert row.height == 1  # the old version did not survive in its old month
        assert (row["year"].item(), row["month"].item()) == (
            new_date.year,
            new_date.month,
        )
        assert row["amount_midpoint"].item() == (15001 + 50000) / 2
        old_key = old_fact.filter(pl.col("transaction_id") == tid)[
            "transaction_key"
        ].item()
        assert row["transaction_key"].item() == old_key  # updated rows keep their key
    untouched = fact.join(
        pl.DataFrame({"transaction_id": ids.to_series()}),
        on="transaction_id",
        how="anti",
    )
    assert untouched.equals(
        old_fact.join(
            pl.DataFrame({"transaction_id": ids.to_series()}),
            on="transaction_id",
            how="anti",
        )
    )


def test_watermark_continuation_and_new_keys_above_max(demo):
    run_job(JOB, {"rebuild": True})
    top = read_fact(demo)["transaction_key"].max()
    fresh = (
        silver(demo)
        .head(5)
        .with_columns(
            doc_id=pl.lit("NEW") + pl.col("doc_id"),
            silver_ingest_ts=pl.lit(dt.datetime(2031, 1, 1)),
        )
    )
    demo_data.append_silver(demo, fresh, "fresh")
    assert (
        run_job(JOB, {})["transactions_processed"]
        == fresh.unique(["doc_id", "txn_index"]).height
    )
    fact = read_fact(demo)
    new_keys = fact.filter(pl.col("transaction_id").str.starts_with("NEW"))[
        "transaction_key"
    ]
    assert (new_keys > top).all()
    # nothing new since the watermark: a rerun processes nothing and writes nothing
    assert run_job(JOB, {}) == {
        "transactions_processed": 0,
        "files_written": 0,
        "files_deleted": 0,
        "quarantined": 0,
    }


def test_since_date_is_refused_only_when_it_would_skip_rows(demo):
    run_job(JOB, {"rebuild": True})
    watermark = cast(dt.datetime, silver(demo)["silver_ingest_ts"].max())
    later = watermark + dt.timedelta(days=3)
    # nothing between the watermark and since_date: accepted, processes the new rows
    demo_data.append_silver(
        demo, new_versions(demo, 4, shift_days=0, ts=later), "later"
    )
    summary = run_job(JOB, {"since_date": later.date().isoformat()})
    assert summary["transactions_processed"] == 4
    # a row lands in between: a since_date past it is refused, with the count
    gap = watermark + dt.timedelta(days=5)
    demo_data.append_silver(demo, new_versions(demo, 2, shift_days=0, ts=gap), "gap")
    demo_data.append_silver(
        demo,
        new_versions(demo, 3, shift_days=0, ts=gap + dt.timedelta(days=2)),
        "after-gap",
    )
    before = fact_files(demo)
    since = (gap + dt.timedelta(days=1)).date().isoformat()
    with pytest.raises(InvalidEvent) as err:
        run_job(JOB, {"since_date": since})
    assert err.value.field == "since_date"
    assert "would skip 2 silver rows" in str(err.value)
    assert fact_files(demo) == before
    with pytest.raises(InvalidEvent, match="in the future"):
        run_job(JOB, {"since_date": "2099-01-01"})


@pytest.mark.parametrize(
    "event,field",
    [
        ({"rebuild": "maybe"}, "rebuild"),
        ({"since_date": "yesterday"}, "since_date"),
        ({"rebiuld": True}, "rebiuld"),
    ],
)
def test_invalid_events_name_the_field(demo, event, field):
    with pytest.raises(InvalidEvent) as err:
        run_job(JOB, event)
    assert err.value.field == field
    assert fact_files(demo) == {}


@pytest.mark.parametrize("dim", sorted(DIMENSIONS))
def test_missing_dimension_fails_and_writes_nothing(demo, dim):
    demo.delete([DIMENSIONS[dim]])
    with pytest.raises(MissingTable, match=f"Dimension table {dim} not found"):
        run_job(JOB, {"rebuild": True})
    assert fact_files(demo) == {}
    assert JobContext.from_env().state.get(STATE_KEY) is None


def test_same_transaction_twice_keeps_latest_version(demo):
    base = silver(demo).head(1)
    versions = pl.concat(
        [
            base.with_columns(
                amount_low=pl.lit(v, pl.Int64), silver_ingest_ts=pl.lit(ts)
            )
            for v, ts in [
                (3, dt.datetime(2030, 3, 1)),
                (1, dt.datetime(2030, 1, 1)),
                (2, dt.datetime(2030, 2, 1)),
            ]
        ]
    )
    demo_data.append_silver(demo, versions, "versions")
    run_job(JOB, {"rebuild": True})
    tid = f"{base['doc_id'].item()}-{base['txn_index'].item():03d}"
    rows = read_fact(demo).filter(pl.col("transaction_id") == tid)
    assert rows["amount_low"].to_list() == [3]
    # across runs: an even later version arrives incrementally
    demo_data.append_silver(
        demo,
        base.with_columns(
            amount_low=pl.lit(4, pl.Int64),
            silver_ingest_ts=pl.lit(dt.datetime(2030, 4, 1)),
        ),
        "v4",
    )
    run_job(JOB, {})
    rows = read_fact(demo).filter(pl.col("transaction_id") == tid)
    assert rows["amount_low"].to_list() == [4]


def test_incremental_after_rebuild_equals_single_rebuild(demo, tmp_path):
    s = silver(demo)
    cut = s["silver_ingest_ts"].sort()[s.height * 2 // 3]
    demo.delete(demo.keys(SILVER_PTR))
    demo_data.append_silver(demo, s.filter(pl.col("silver_ingest_ts") <= cut), "a")
    run_job(JOB, {"rebuild": True})
    demo_data.append_silver(demo, s.filter(pl.col("silver_ingest_ts") > cut), "b")
    run_job(JOB, {})
    incremental = read_fact(demo)
    run_job(JOB, {"rebuild": True})
    assert incremental.equals(read_fact(demo))


def test_lease_held_by_another_run_fails_before_writing(demo):
    ctx = JobContext.from_env()
    with ctx.state.lease(JOB.name, 60):
        with pytest.raises(LeaseHeld, match="build_fact_transactions is being written"):
            run_job(JOB, {"rebuild": True})
    assert fact_files(demo) == {}
    run_job(JOB, {"rebuild": True})  # released: the next run proceeds
    assert fact_files(demo)


def test_crash_between_writes_converges_on_rerun(demo, monkeypatch):
    run_job(JOB, {"rebuild": True})
    demo_data.append_silver(
        demo, new_versions(demo, 20, 70, dt.datetime(2030, 6, 1)), "late"
    )
    from common.storage import Warehouse

    real_write, calls = Warehouse.write_parquet, []

    def crash_after_two(self, df, key):
        calls.append(key)
        if len(calls) > 2:
            raise OSError("simulated crash")
        real_write(self, df, key)

    monkeypatch.setattr(Warehouse, "write_parquet", crash_after_two)
    with pytest.raises(OSError):
        run_job(JOB, {})
    monkeypatch.setattr(Warehouse, "write_parquet", real_write)
    state = JobContext.from_env().state.get(STATE_KEY)
    assert state is not None
    assert dt.datetime.fromisoformat(state["watermark"]) < dt.datetime(
        2030, 6, 1
    )  # not advanced
    run_job(JOB, {})
    converged = read_fact(demo)
    run_job(JOB, {"rebuild": True})
    assert converged.drop("transaction_key").equals(
        read_fact(demo).drop("transaction_key")
    )
    assert converged["transaction_key"].is_unique().all()


def test_quarantine_keeps_rows_outside_the_calendar(demo):
    odd = (
        silver(demo)
        .head(2)
        .with_columns(
            doc_id=pl.lit("ODD"),
            transaction_date=pl.lit(dt.date(2202, 1, 1)),
            notification_date=pl.lit(dt.date(2202, 1, 2)),
        )
    )
    demo_data.append_silver(demo, odd, "odd")
    summary = run_job(JOB, {"rebuild": True})
    assert summary["quarantined"] == 2
    q = pl.read_parquet(demo.uri("quarantine/fact_ptr_transactions/*.parquet"))
    assert q["doc_id"].to_list() == ["ODD", "ODD"]
    assert q["reason"].str.contains("dim_dates").all()
    assert read_fact(demo).filter(pl.col("doc_id") == "ODD").is_empty()
    # the summary survives the Lambda response's JSON unchanged
    assert json.loads(json.dumps(summary)) == summary


def test_keys_given_by_a_since_date_rerun_are_never_given_again(demo):
    # Rows quarantined for dates beyond dim_dates get keys once dim_dates is extended
    # and a since_date rerun picks them up; later runs must number above them.
    s = silver(demo)
    first = cast(dt.datetime, s["silver_ingest_ts"].min())
    beyond = dt.date(cast(dt.date, s["transaction_date"].max()).year + 1, 6, 1)
    late = s.head(2).with_columns(
        doc_id=pl.lit("LATE"),
        txn_index=pl.int_range(pl.len()),
        transaction_date=pl.lit(beyond),
        notification_date=pl.lit(beyond),
        silver_ingest_ts=pl.lit(first),
    )
    demo_data.append_silver(demo, late, "late")
    assert run_job(JOB, {"rebuild": True})["quarantined"] == 2
    dates = pl.read_parquet(demo.uri(DIMENSIONS["dim_dates"]))
    start = cast(dt.date, dates["full_date"].min())
    demo.write_parquet(calendar(start, beyond), DIMENSIONS["dim_dates"])

    run_job(JOB, {"since_date": first.date().isoformat()})
    fresh = s.head(3).with_columns(
        doc_id=pl.lit("FRESH"),
        txn_index=pl.int_range(pl.len()),
        silver_ingest_ts=pl.lit(cast(dt.datetime, s["silver_ingest_ts"].max()))
        + dt.timedelta(days=1),
    )
    demo_data.append_silver(demo, fresh, "fresh")
    run_job(JOB, {})

    fact = read_fact(demo)
    assert fact["transaction_key"].is_unique().all()
    keys = {
        d: fact.filter(pl.col("doc_id") == d)["transaction_key"].to_list()
        for d in ("LATE", "FRESH")
    }
    assert len(keys["LATE"]) == 2 and len(keys["FRESH"]) == 3
    assert min(keys["FRESH"]) > max(keys["LATE"])
