"""Deterministic demo/test warehouse: silver PTR rows and the three dimensions.

Hard cases on purpose: later versions of transactions (some moving to another month),
members whose SCD2 version changes inside the data's range, filers and assets unknown
to the dimensions, null bioguide ids and tickers, open-ended amount brackets.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import polars as pl

from common.congress.dim_dates import calendar
from common.congress.schemas import SilverPtrTransactions, polars_schema
from common.congress.tables import DIMENSIONS, SILVER_PTR
from common.storage import Warehouse

START, END = dt.date(2020, 1, 1), dt.date(2024, 12, 31)
OPEN_END = dt.date(9999, 12, 31)
BRACKETS = [
    (1001, 15000),
    (15001, 50000),
    (50001, 100000),
    (100001, 250000),
    (250001, 500000),
    (1000001, 5000000),
    (50000001, None),
]
TYPES = ["purchase", "sale", "sale_partial", "exchange"]
OWNERS = ["self", "spouse", "joint", "dependent"]
PARTIES = ["Democrat", "Republican", "Independent"]
STATES = ["CA", "TX", "NY", "FL", "GA", "OH", "PA", "IL", "NC", "MI", "AK", "VT"]
FIRST = ["Nancy", "Dan", "Marjorie", "Josh", "Ro", "Tommy", "Debbie", "Michael"]
LAST = ["Pelosi", "Crenshaw", "Greene", "Gottheimer", "Khanna", "Tuberville", "Wasser"]


def dimension_frames(
    rng: random.Random, members: int, assets: int
) -> dict[str, pl.DataFrame]:
    rows = []
    for i in range(members):
        bioguide = f"D{i:06d}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        party, state = rng.choice(PARTIES), rng.choice(STATES)
        district: int | None = None if rng.random() < 0.2 else rng.randint(0, 20)
        start = dt.date(rng.choice([2011, 2011, 2019, 2021]), 1, 3)
        first = max(start, START)  # versions change inside the data's date range
        span = range(60, (END - first).days - 60)
        changes = sorted(rng.sample(span, k=rng.choice([0, 0, 0, 1, 2])))
        bounds = [start] + [first + dt.timedelta(days=c) for c in changes]
        for v, frm in enumerate(bounds):
            if v:
                party = PARTIES[(PARTIES.index(party) + 1) % 3]
            last = v == len(bounds) - 1
            to = OPEN_END if last else bounds[v + 1] - dt.timedelta(days=1)
            rows.append((bioguide, name, party, state, district, frm, to, last))
    dim_members = (
        pl.DataFrame(
            rows,
            schema={
                "bioguide_id": pl.String,
                "full_name": pl.String,
                "party": pl.String,
                "state": pl.String,
                "district": pl.Int32,
                "valid_from": pl.Date,
                "valid_to": pl.Date,
                "is_current": pl.Boolean,
            },
            orient="row",
        )
        .with_row_index("member_key", offset=1)
        .with_columns(pl.col("member_key").cast(pl.Int64))
    )
    dim_assets = pl.DataFrame(
        {
            "asset_key": pl.int_range(1, assets + 1, eager=True),
            "asset_name": [f"Asset {i} Inc. - Common Stock" for i in range(assets)],
            "ticker": [None if i % 9 == 0 else f"T{i}" for i in range(assets)],
        }
    )
    dim_dates = calendar(dt.date(START.year - 2, 1, 1), END)
    return {
        "dim_members": dim_members,
        "dim_assets": dim_assets,
        "dim_dates": dim_dates,
    }


def silver_frame(
    rng: random.Random, rows: int, members: int, assets: int, base_ts: dt.datetime
) -> pl.DataFrame:
    out: list[dict[str, Any]] = []
    span = (END - START).days
    doc = 0
    while len(out) < rows:
        doc += 1
        filer = rng.randrange(members + 3)  # the last 3 are unknown to dim_members
        bioguide = None if filer == members + 2 else f"D{filer:06d}"
        filing = START + dt.timedelta(days=rng.randrange(span))
        ts = base_ts + dt.timedelta(
            days=(filing - START).days, seconds=rng.randrange(80000)
        )
        for idx in range(min(rng.randint(1, 12), rows - len(out))):
            notif = filing - dt.timedelta(days=rng.randrange(10))
            low, high = rng.choice(BRACKETS)
            asset = rng.randrange(assets + assets // 20)  # ~5% unknown assets
            out.append(
                {
                    "doc_id": f"{20000000 + doc}",
                    "txn_index": idx,
                    "filer_name": f"Filer {filer}",
                    "bioguide_id": bioguide,
                    "asset_name": f"Asset {asset} Inc. - Common Stock",
                    "ticker": None if rng.random() < 0.05 else f"T{asset}",
                    "transaction_type": rng.choice(TYPES),
                    "transaction_date": max(
                        START, notif - dt.timedelta(days=rng.randrange(45))
                    ),
                    "notification_date": notif,
                    "filing_date": filing,
                    "amount_low": low,
                    "amount_high": high,
                    "owner": rng.choice(OWNERS),
                    "silver_ingest_ts": ts,
                    "chamber": "house",
                }
            )
    versions = []
    for row in rng.sample(out, k=len(out) // 50):  # later, corrected versions
        new = dict(row)
        new["silver_ingest_ts"] = row["silver_ingest_ts"] + dt.timedelta(
            hours=rng.randint(1, 900)
        )
        new["amount_low"], new["amount_high"] = rng.choice(BRACKETS)
        if rng.random() < 0.3:  # corrected trade date, often in another month
            new["transaction_date"] = row["transaction_date"] - dt.timedelta(
                days=rng.randint(20, 60)
            )
            new["transaction_date"] = max(START, new["transaction_date"])
        versions.append(new)
    rows_all = out + versions
    rng.shuffle(rows_all)
    return pl.DataFrame(rows_all, schema=SILVER_SCHEMA)


SILVER_SCHEMA = polars_schema(SilverPtrTransactions)


def generate(
    wh: Warehouse,
    rows: int = 100_000,
    members: int = 300,
    assets: int = 2_000,
    seed: int = 7,
) -> dict[str, int]:
    """Write dims and one silver part; returns row counts per table."""
    rng = random.Random(seed)
    dims = dimension_frames(rng, members, assets)
    silver = silver_frame(rng, rows, members, assets, dt.datetime(2020, 1, 2))
    for name, df in dims.items():
        wh.write_parquet(df, DIMENSIONS[name])
    wh.write_parquet(silver, f"{SILVER_PTR}/part-demo-{seed}.parquet")
    return {"silver": silver.height, **{k: v.height for k, v in dims.items()}}


def append_silver(wh: Warehouse, df: pl.DataFrame, part: str) -> None:
    wh.write_parquet(
        df.select(list(SILVER_SCHEMA)), f"{SILVER_PTR}/part-{part}.parquet"
    )
