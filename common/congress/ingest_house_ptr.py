"""ingest_house_ptr: bronze House PTR JSON -> a new silver part + quarantine.

`{"source_uri": "<file or s3 URI>"}` -> `{"rows_in", "silver_rows", "quarantined",
"resolved_share", "unresolved_names"}`. Filer names are resolved to bioguide ids
through the legislators sources (see member_resolver.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import polars as pl

from common import ledger
from common.congress.house_ptr import SOURCE_COLUMNS, parse
from common.congress.member_resolver import MemberResolver
from common.congress.schemas import SilverPtrTransactions
from common.congress.silver import member_summary, write_part
from common.congress.sources import LegislatorSources
from common.errors import InvalidEvent
from common.jobs import JobContext, TableJob
from common.storage import SourceRoots
from common.validation import split_valid

JOB_NAME = "ingest_house_ptr"
BRONZE_HOUSE = "bronze/house"  # where House PTR files are dropped


class IngestParams(LegislatorSources):
    source_uri: str


def read_source(roots: SourceRoots, uri: str) -> pl.DataFrame:
    try:
        data = roots.read(uri, "source_uri")
    except FileNotFoundError as exc:
        raise InvalidEvent("source_uri", str(exc)) from exc
    try:  # Polars parses the bytes straight into columns: no Python rows in between
        frame = pl.read_json(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        problem = f"not a JSON array of PTR rows: {exc}"
        raise InvalidEvent("source_uri", problem) from exc
    del data
    missing = [c for c in SOURCE_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidEvent("source_uri", f"rows lack the fields {missing}")
    return frame.select(pl.col(SOURCE_COLUMNS).cast(pl.String))


def resolve_members(parsed: pl.DataFrame, resolver: MemberResolver) -> pl.DataFrame:
    filers = parsed.select("representative", "state", "district_no").unique()
    ids = [
        resolver.resolve(name or "", state or "", district)
        for name, state, district in filers.iter_rows()
    ]
    return parsed.join(
        filers.with_columns(bioguide_id=pl.Series(ids, dtype=pl.String)),
        on=["representative", "state", "district_no"],
        how="left",
        nulls_equal=True,
    )


def ingest(ctx: JobContext, p: IngestParams) -> dict[str, Any]:
    wh = ctx.warehouse
    roots = SourceRoots.from_env(wh)
    roots.check(p.source_uri, "source_uri")
    p.uris(wh)  # every location is checked before anything is read
    raw = read_source(roots, p.source_uri)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    parsed = resolve_members(parse(raw, now.date()), MemberResolver(p.terms(wh)))
    silver = parsed.filter(pl.col("reason").is_null()).select(
        "doc_id",
        "txn_index",
        pl.col("representative").alias("filer_name"),
        "bioguide_id",
        "asset_name",
        "ticker",
        "transaction_type",
        "transaction_date",
        "notification_date",
        "filing_date",
        "amount_low",
        "amount_high",
        pl.col("owner_parsed").alias("owner"),
        silver_ingest_ts=pl.lit(now),
        chamber=pl.lit("house"),
        asset_detail=pl.lit(None, pl.String),
    )
    silver, rejected = split_valid(silver, SilverPtrTransactions)
    quarantine = pl.concat(
        [
            parsed.filter(pl.col("reason").is_not_null()).select(
                *SOURCE_COLUMNS, "reason"
            ),
            rejected.select(
                pl.col("doc_id").alias("filing_id"),
                pl.col("filer_name").alias("representative"),
                "reason",
            ),
        ],
        how="diagonal_relaxed",
    )
    digest = hashlib.sha256(raw.write_csv().encode()).hexdigest()[:16]
    written = write_part(ctx, digest, silver, quarantine)
    ledger.record(ctx, JOB_NAME, p.source_uri, "source_uri")
    return {
        "rows_in": raw.height,
        "silver_rows": silver.height,
        "quarantined": quarantine.height,
        **member_summary(silver),
        "files_written": written,
    }


JOB = TableJob(JOB_NAME, IngestParams, ingest)
