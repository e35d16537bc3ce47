"""Invariants of the fact build, checked against a row-by-row recomputation."""

from __future__ import annotations

import datetime as dt
import tempfile
from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from common.congress import demo_data, fact_ptr_transactions, fact_rebuild
from common.congress.build_fact_transactions import JOB
from common.congress.tables import DIMENSIONS
from common.jobs import JobContext, run_job
from common.settings import Settings
from common.state import LocalStateStore
from common.storage import Warehouse
from tests.congress_reference import expected_facts
from tests.fact_reader import read_fact

D0 = dt.date(2020, 1, 1)
BIOGUIDES = ["A000001", "B000002", "C000003"]
ASSETS = ["Acme Corp", "Beta Inc", "Gamma plc"]

day = st.integers(0, 730).map(lambda n: D0 + dt.timedelta(days=n))


@st.composite
def members(draw) -> list[dict]:
    rows: list[dict] = []
    for bio in BIOGUIDES:
        cuts = sorted(draw(st.sets(st.integers(1, 729), max_size=2)))
        start = draw(st.integers(-30, 300))  # may start after some trades: -1 before it
        bounds = [D0 + dt.timedelta(days=start)] + [
            D0 + dt.timedelta(days=max(c, start + 1)) for c in cuts
        ]
        bounds = sorted(set(bounds))
        for i, frm in enumerate(bounds):
            last = i == len(bounds) - 1
            rows.append(
                {
                    "member_key": len(rows) + 1,
                    "bioguide_id": bio,
                    "full_name": bio,
                    "party": draw(st.sampled_from(["Democrat", "Republican"])),
                    "state": "CA",
                    "district": 1,
                    "valid_from": frm,
                    "valid_to": dt.date(9999, 12, 31)
                    if last
                    else bounds[i + 1] - dt.timedelta(days=1),
                    "is_current": last,
                }
            )
    return rows


@st.composite
def silver_rows(draw) -> list[dict]:
    n = draw(st.integers(1, 25))
    stamps = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    rows: list[dict] = []
    for ts in stamps:
        td = draw(day)
        low, high = draw(st.sampled_from([(1001, 15000), (50000001, None)]))
        rows.append(
            {
                "doc_id": draw(st.sampled_from(["D1", "D2"])),
                "txn_index": draw(st.integers(0, 3)),
                "filer_name": "x",
                "bioguide_id": draw(st.sampled_from([*BIOGUIDES, "Z999999", None])),
                "asset_name": draw(st.sampled_from([*ASSETS, "Unknown Co"])),
                "ticker": draw(st.sampled_from(["T", None])),
                "transaction_type": draw(
                    st.sampled_from(["purchase", "sale", "sale_partial", "exchange"])
                ),
                "transaction_date": td,
                "notification_date": td + dt.timedelta(days=draw(st.integers(0, 40))),
                "filing_date": td + dt.timedelta(days=45),
                "amount_low": low,
                "amount_high": high,
                "owner": "self",
                "silver_ingest_ts": dt.datetime(2023, 1, 1) + dt.timedelta(minutes=ts),
            }
        )
    return rows


def new_warehouse(root: str, members_rows: list[dict]) -> JobContext:
    wh = Warehouse(root)
    dims = demo_data.dimension_frames(__import__("random").Random(0), 1, 1)
    wh.write_parquet(dims["dim_dates"], DIMENSIONS["dim_dates"])
    member_schema = {
        **dict.fromkeys(["bioguide_id", "full_name", "party", "state"], pl.String),
        "member_key": pl.Int64,
        "district": pl.Int32,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
        "is_current": pl.Boolean,
    }
    wh.write_parquet(
        pl.DataFrame(members_rows, schema=member_schema), DIMENSIONS["dim_members"]
    )
    wh.write_parquet(
        pl.DataFrame(
            {"asset_key": [1, 2, 3], "asset_name": ASSETS, "ticker": ["A", None, "G"]}
        ),
        DIMENSIONS["dim_assets"],
    )
    return JobContext(wh, LocalStateStore(wh.root), Settings(root, None, 60))


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=demo_data.SILVER_SCHEMA)


@settings(max_examples=100, deadline=None)
@given(
    members(),
    silver_rows(),
    st.integers(1, 4),  # silver files
    st.integers(1, 30),  # rows validated at once
    st.integers(1, 30),  # rows built into facts at once
    st.integers(1, 5),  # rows per fact file
)
def test_fact_matches_row_by_row_recomputation(
    member_rows, rows, files, chunk, group, file_rows
):
    """Dedupe keeps the latest version; the member version valid that day is picked;
    -1 keys exactly where no dimension row matches. Whatever the files, chunks and
    groups of months the rebuild works in, and the files it writes."""
    sizes = {"CHUNK_ROWS": chunk, "GROUP_ROWS": group, "FILE_ROWS": file_rows}
    with (
        tempfile.TemporaryDirectory() as root,
        mock.patch.multiple(fact_rebuild, **sizes),
    ):
        ctx = new_warehouse(root, member_rows)
        for i in range(files):
            part = frame(rows[i::files])
            if part.height:
                demo_data.append_silver(ctx.warehouse, part, f"p{i}")
        run_job(JOB, {"rebuild": True}, ctx)
        fact = read_fact(ctx.warehouse)
    assets = [{"asset_name": a, "asset_key": i + 1} for i, a in enumerate(ASSETS)]
    expected = expected_facts(rows, member_rows, assets)
    assert sorted(fact["transaction_id"]) == sorted(expected)
    for row in fact.iter_rows(named=True):
        want = expected[row["transaction_id"]]
        got = {k: row[k] for k in want if k != "partition"} | {
            "partition": (row["year"], row["month"])
        }
        assert got == want
    assert fact["transaction_key"].is_unique().all()


@settings(max_examples=100, deadline=None)
@given(
    members(),
    silver_rows(),
    st.lists(st.floats(0, 1), min_size=1, max_size=3),
    st.integers(1, 5),  # rows per fact file: increments rewrite single files
)
def test_rebuild_equals_prefix_rebuild_plus_increments(
    member_rows, rows, cuts, file_rows
):
    rows = sorted(rows, key=lambda r: r["silver_ingest_ts"])
    bounds = sorted(({int(c * len(rows)) for c in cuts} | {len(rows)}) - {0})
    with (
        tempfile.TemporaryDirectory() as a,
        tempfile.TemporaryDirectory() as b,
        mock.patch.object(fact_rebuild, "FILE_ROWS", file_rows),
    ):
        once = new_warehouse(a, member_rows)
        demo_data.append_silver(once.warehouse, frame(rows), "all")
        run_job(JOB, {"rebuild": True}, once)

        steps = new_warehouse(b, member_rows)
        start = 0
        for i, end in enumerate(bounds):
            if end > start:
                demo_data.append_silver(
                    steps.warehouse, frame(rows[start:end]), f"p{i}"
                )
            run_job(JOB, {"rebuild": i == 0}, steps)
            start = end
        assert read_fact(steps.warehouse).equals(read_fact(once.warehouse))


@settings(max_examples=100, deadline=None)
@given(
    st.sets(st.integers(0, 60), max_size=40),  # dim_dates' days: gaps and all
    st.lists(st.one_of(st.none(), st.integers(-5, 70)), max_size=30),
)
def test_date_keys_find_the_dimension_row_or_null(dim_days, days):
    """A date's key is its dim_dates row's, null where dim_dates has no such day,
    whatever gaps the dimension has."""
    keys = {D0 + dt.timedelta(days=d): 7 * d + 1 for d in dim_days}
    dates = pl.DataFrame(
        {"full_date": list(keys), "date_key": list(keys.values())},
        schema={"full_date": pl.Date, "date_key": pl.Int32},
    )
    wanted = [None if d is None else D0 + dt.timedelta(days=d) for d in days]
    got = (
        pl.DataFrame({"d": wanted}, schema={"d": pl.Date})
        .select(fact_ptr_transactions.date_keys(dates)("d"))
        .to_series()
        .to_list()
    )
    assert got == [None if d is None else keys.get(d) for d in wanted]
