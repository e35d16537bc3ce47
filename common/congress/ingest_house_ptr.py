"""ingest_house_ptr: bronze House PTR JSON -> a new silver part + quarantine.

`{"source_uri": "<file or s3 URI>"}` (or an S3 Object Created notification; or
nothing: every file under bronze/house/ the ledger has not seen) -> `{"rows_in",
"silver_rows", "quarantined", "resolved_share", "unresolved_names", "files_in",
"files_written"}`. Filer names are resolved to bioguide ids through the legislators
sources (see member_resolver.py).
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
from common.congress.silver import ingest_summary, part_key, silver_rows, write_new
from common.congress.sources import IngestParams
from common.congress.tables import QUARANTINE_PTR
from common.errors import InvalidEvent
from common.jobs import JobContext, TableJob
from common.storage import SourceRoots
from common.validation import split_valid

JOB_NAME = "ingest_house_ptr"
BRONZE_HOUSE = "bronze/house"  # where House PTR files are dropped
COUNTS = ["rows_in", "quarantined", "files_written"]  # per file, added up


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
    """The event's file, or every House file in bronze/ the ledger has not seen."""
    wh = ctx.warehouse
    roots = SourceRoots.from_env(wh)
    uris = p.files(ctx, JOB_NAME, BRONZE_HOUSE)
    # a file the event names is read first: a bad one is a 400 before anything else
    named = read_source(roots, p.source_uri) if p.source_uri else None
    results = []
    if uris:  # nothing new: the legislators files need not even be read
        resolver = MemberResolver(p.terms(wh))
    for uri in uris:
        raw = named if named is not None else read_source(roots, uri)
        results.append(ingest_file(ctx, uri, raw, resolver))
    return ingest_summary(results, COUNTS, len(uris))


def ingest_file(
    ctx: JobContext, uri: str, raw: pl.DataFrame, resolver: MemberResolver
) -> tuple[pl.DataFrame, dict[str, int]]:
    """One House file, ingested whole, then recorded in the ledger: (its silver
    rows, its counts)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    parsed = resolve_members(parse(raw, now.date()), resolver)
    named = parsed.with_columns(filer_name=pl.col("representative"))
    silver, rejected = split_valid(
        silver_rows(named, "house", now), SilverPtrTransactions
    )
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
    written = write_new(
        ctx,
        {part_key(digest): silver, f"{QUARANTINE_PTR}/{digest}.parquet": quarantine},
    )
    ledger.record(ctx, JOB_NAME, uri, "source_uri")
    counts = {
        "rows_in": raw.height,
        "quarantined": quarantine.height,
        "files_written": written,
    }
    return silver, counts


JOB = TableJob(JOB_NAME, IngestParams, ingest)
