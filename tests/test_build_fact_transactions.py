"""The seed's acceptance scenarios for build_fact_transactions, on a local warehouse."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import cast

import polars as pl
import pytest

from common.congress import demo_data, fact_index, fact_rebuild
from common.congress.build_fact_transactions import JOB, STATE_KEY
from common.congress.dim_dates import calendar
from common.congress.tables import (
    DIMENSIONS,
    SILVER_PTR,
    fact_partition_key,
    is_chunk,
    month_folder,
)
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
        month_folder(fact_partition_key(y, m))
        for frame in (old_fact, fact)
        for y, m in frame.join(landed_ids, on="transaction_id")
        .select("year", "month")
        .iter_rows()
    }
    changed = {k for k in after if before.get(k) != after[k]} | (
        before.keys() - after.keys()
    )
    # nothing outside the touched months was written or deleted
    assert {month_folder(k) for k in changed} <= touched
    assert summary["files_written"] + summary["files_deleted"] == len(changed)
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
        "files_appended": 0,
        "files_deleted": 0,
        "months_compacted": 0,
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


def crash_after_writes(monkeypatch, n: int, event: dict | None = None) -> None:
    """Run the job (incremental by default), killed (an OSError) at its write after
    the n-th."""
    from common.storage import Warehouse

    real_write, calls = Warehouse.write_parquet, []

    def crashing(self, df, key):
        calls.append(key)
        if len(calls) > n:
            raise OSError("simulated crash")
        real_write(self, df, key)

    monkeypatch.setattr(Warehouse, "write_parquet", crashing)
    with pytest.raises(OSError):
        run_job(JOB, event or {})
    monkeypatch.setattr(Warehouse, "write_parquet", real_write)


def test_a_rebuild_killed_between_groups_converges_on_rerun(demo, monkeypatch):
    run_job(JOB, {"rebuild": True})
    state = JobContext.from_env().state.get(STATE_KEY)
    # new versions, some in other months, then a rebuild in groups of about 500
    # rows, killed after its first group's months were written
    late = new_versions(demo, 20, 70, dt.datetime(2030, 6, 1))
    demo_data.append_silver(demo, late, "late")
    monkeypatch.setattr(fact_rebuild, "GROUP_ROWS", 500)
    crash_after_writes(monkeypatch, 8, {"rebuild": True})
    assert JobContext.from_env().state.get(STATE_KEY) == state
    run_job(JOB, {"rebuild": True})
    converged = read_fact(demo)
    # the oracle: a rebuild of the same silver from nothing, in one group
    monkeypatch.setattr(fact_rebuild, "GROUP_ROWS", 10**9)
    demo.delete(demo.keys("gold/facts") + demo.keys("_state"))
    run_job(JOB, {"rebuild": True})
    assert converged.equals(read_fact(demo))
    index = pl.col("txn_index").cast(pl.String).str.pad_start(3, "0")
    ids = late.select(pl.format("{}-{}", "doc_id", index)).to_series()
    newest = converged.filter(pl.col("transaction_id").is_in(ids.implode()))
    assert newest.height == 20 and (newest["amount_low"] == 15001).all()


def test_an_increment_after_a_crashed_rebuild_keeps_one_row_per_id(
    demo, monkeypatch
):
    """A rebuild moves ids between file names (new ids shift a month's files), so
    the index it found no longer says where they are: killed midway, it must leave
    none, and the next run, an increment of corrections all over the table, must
    build one from the table and still replace every older version."""
    monkeypatch.setattr(fact_rebuild, "FILE_ROWS", 4)
    monkeypatch.setattr(fact_rebuild, "GROUP_ROWS", 500)
    run_job(JOB, {"rebuild": True})
    fresh = spread_new_ids(demo, 40, dt.datetime(2031, 1, 1))
    demo_data.append_silver(demo, fresh, "fresh")
    crash_after_writes(monkeypatch, 600, {"rebuild": True})
    latest = (
        silver(demo)
        .sort("silver_ingest_ts")
        .unique(["doc_id", "txn_index"], keep="last")
        .sort("doc_id", "txn_index")
    )
    fixes = latest.gather_every(25).with_columns(
        amount_low=pl.col("amount_low") + 1,
        silver_ingest_ts=pl.lit(dt.datetime(2031, 2, 1)),
    )
    demo_data.append_silver(demo, fixes, "fix")
    run_job(JOB, {})
    assert not [k for k in demo.keys(fact_index.ROOT) if "/staged-" in k]
    converged = read_fact(demo)
    assert converged["transaction_id"].is_unique().all()
    assert converged["transaction_key"].is_unique().all()
    run_job(JOB, {"rebuild": True})  # the oracle: keys aside, a rebuild's rows
    assert converged.drop("transaction_key").equals(
        read_fact(demo).drop("transaction_key")
    )


def test_crash_between_writes_converges_on_rerun(demo, monkeypatch):
    run_job(JOB, {"rebuild": True})
    demo_data.append_silver(
        demo, new_versions(demo, 20, 70, dt.datetime(2030, 6, 1)), "late"
    )
    crash_after_writes(monkeypatch, 2)
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


def spread_new_ids(wh, n: int, ts: dt.datetime, tag: str = "NEW") -> pl.DataFrame:
    """n brand-new transactions, one per month as far as the table reaches: copies
    of existing rows under new doc ids, spread over the months."""
    s = silver(wh).unique(["doc_id", "txn_index"]).sort("transaction_date")
    month = pl.col("transaction_date").dt.strftime("%Y%m").alias("month")
    picks = s.with_columns(month).group_by("month", maintain_order=True).first()
    return picks.head(n).with_columns(
        doc_id=pl.lit(tag) + pl.col("doc_id"), silver_ingest_ts=pl.lit(ts)
    ).select(s.columns)


def test_new_ids_are_appended_to_their_months_without_rewriting(demo, tmp_path):
    """An increment of brand-new ids writes only small appended files: no month is
    read back or rewritten; readers see each id once; equal to a rebuild."""
    run_job(JOB, {"rebuild": True})
    before = fact_files(demo)
    fresh = spread_new_ids(demo, 40, dt.datetime(2031, 1, 1))
    demo_data.append_silver(demo, fresh, "fresh")
    summary = run_job(JOB, {})
    after = fact_files(demo)
    assert all(after[k] == v for k, v in before.items())  # nothing rewritten
    added = sorted(after.keys() - before.keys())
    assert summary["files_appended"] == len(added) == summary["files_written"]
    assert all("/transactions-" in k for k in added)
    assert len({month_folder(k) for k in added}) == len(added) > 20
    incremental = read_fact(demo)
    assert incremental["transaction_id"].is_unique().all()
    run_job(JOB, {"rebuild": True})  # one file per month again
    assert all(k.endswith("/transactions.parquet") for k in fact_files(demo))
    assert incremental.equals(read_fact(demo))


def test_a_correction_rewrites_only_the_files_holding_its_older_version(
    demo, monkeypatch
):
    """Months of several files (a rebuild's, then appended ones); new versions of
    some ids: exactly the files holding their older versions are rewritten, the new
    versions are appended to their months, nothing else changes; one row per id,
    equal to a rebuild."""
    monkeypatch.setattr(fact_rebuild, "FILE_ROWS", 4)
    run_job(JOB, {"rebuild": True})
    demo_data.append_silver(
        demo, spread_new_ids(demo, 12, dt.datetime(2031, 1, 1)), "fresh"
    )
    run_job(JOB, {})
    before = fact_files(demo)
    old = (  # each id's latest version
        silver(demo)
        .sort("silver_ingest_ts")
        .unique(["doc_id", "txn_index"], keep="last")
        .sort("doc_id", "txn_index")
    )
    fixes = pl.concat(
        [old.filter(pl.col("doc_id").str.starts_with("NEW")).head(2), old.head(3)]
    ).with_columns(
        amount_low=pl.col("amount_low") + 1,  # never equal to what it was
        silver_ingest_ts=pl.lit(dt.datetime(2031, 2, 1)),
    )
    ids = fixes.select(
        pl.format("{}-{}", "doc_id", pl.col("txn_index").cast(pl.String).str.zfill(3))
    ).to_series()
    holding = set(
        demo.scan_parquet(list(before), include_file_paths="path")
        .filter(pl.col("transaction_id").is_in(ids.implode()))
        .select("path")
        .collect()
        .to_series()
    )
    demo_data.append_silver(demo, fixes, "fix")
    summary = run_job(JOB, {})

    now = fact_files(demo)
    changed = {k for k in before if now.get(k) != before[k]}
    assert {demo.uri(k) for k in changed} == holding
    # the new versions: an appended file per month (an appended file of the same
    # ids and keys keeps its name: rewritten, not added)
    fact = read_fact(demo)
    fixed = fact.filter(pl.col("transaction_id").is_in(ids.implode()))
    where = fixed.select("year", "month").rows()
    months = {month_folder(fact_partition_key(y, m)) for y, m in where}
    appended = {k for k in now if now[k] != before.get(k) and not is_chunk(k)}
    assert {month_folder(k) for k in appended} == months
    assert summary["files_appended"] == len(appended) == len(months)
    assert sorted(fixed["amount_low"]) == sorted(fixes["amount_low"])
    assert fact["transaction_id"].is_unique().all()
    run_job(JOB, {"rebuild": True})
    assert fact.equals(read_fact(demo))


def test_a_correction_refuses_a_file_that_breaks_the_contract(demo, monkeypatch):
    """The rows a rewritten file keeps are checked by schema (not re-validated row by
    row): a file whose column drifted from the contract stops the run before it
    writes anything, naming the column."""
    monkeypatch.setattr(fact_rebuild, "FILE_ROWS", 50)
    run_job(JOB, {"rebuild": True})
    key = sorted(fact_files(demo))[0]
    drifted = pl.read_parquet(demo.uri(key))
    demo.write_parquet(drifted.with_columns(pl.col("amount_low").cast(pl.Float64)), key)
    tid = drifted["transaction_id"][0]
    doc, index = tid.rsplit("-", 1)
    old = silver(demo).filter(
        (pl.col("doc_id") == doc) & (pl.col("txn_index") == int(index))
    )
    fix = old.sort("silver_ingest_ts").tail(1).with_columns(
        amount_low=pl.col("amount_low") + 1,
        silver_ingest_ts=pl.lit(dt.datetime(2031, 2, 1)),
    )
    demo_data.append_silver(demo, fix, "fix")
    before, state = fact_files(demo), JobContext.from_env().state.get(STATE_KEY)

    with pytest.raises(Exception, match="amount_low"):
        run_job(JOB, {})
    assert fact_files(demo) == before
    assert JobContext.from_env().state.get(STATE_KEY) == state


def test_a_month_is_compacted_once_it_holds_too_many_appended_files(demo):
    from common.congress.build_fact_transactions import MAX_APPENDED

    run_job(JOB, {"rebuild": True})
    compactions = []
    for n in range(MAX_APPENDED + 1):
        one = spread_new_ids(demo, 1, dt.datetime(2031, 1, 1 + n), tag=f"N{n}")
        demo_data.append_silver(demo, one, f"n{n}")
        compactions.append(run_job(JOB, {})["months_compacted"])
    assert compactions == [0] * MAX_APPENDED + [1]
    month = month_folder(
        fact_partition_key(*read_fact(demo).sort("transaction_date_key").row(0)[-2:])
    )
    files = [k for k in fact_files(demo) if k.startswith(month)]
    # the rebuild's file, and the nine appended ones folded into one
    base, folded = sorted(files, key=lambda k: not k.endswith("/transactions.parquet"))
    assert len(files) == 2 and base == month + "transactions.parquet"
    assert re.fullmatch(r".*/transactions-[0-9a-f]{16}\.parquet", folded)
    incremental = read_fact(demo)
    assert incremental["transaction_id"].is_unique().all()
    run_job(JOB, {"rebuild": True})
    assert incremental.equals(read_fact(demo))


def test_a_crash_while_appending_then_a_larger_rerun_converges(demo, monkeypatch):
    """Killed after its first appended file; more silver lands; the rerun finds what
    was appended (the index knew before the write) and ends equal to a rebuild."""
    run_job(JOB, {"rebuild": True})
    demo_data.append_silver(
        demo, spread_new_ids(demo, 10, dt.datetime(2031, 1, 1)), "fresh"
    )
    crash_after_writes(monkeypatch, 1)
    assert any("/transactions-" in k for k in fact_files(demo))  # one got out
    demo_data.append_silver(
        demo, spread_new_ids(demo, 10, dt.datetime(2031, 1, 2), tag="MORE"), "more"
    )
    run_job(JOB, {})
    converged = read_fact(demo)
    assert converged["transaction_id"].is_unique().all()
    assert converged["transaction_key"].is_unique().all()
    run_job(JOB, {"rebuild": True})
    assert converged.drop("transaction_key").equals(
        read_fact(demo).drop("transaction_key")
    )
