"""ingest_senate_ptr: bronze Senate daily reports -> new silver parts + quarantine.

`{"source_uri": "<one report, or a prefix holding many>"}` (plus the legislators URIs
House ingest takes; or an S3 Object Created notification; or nothing: every report
under bronze/senate/ the ledger has not seen) -> `{"rows_in", "silver_rows",
"quarantined", "resolved_share", "unresolved_names", "empty_filings",
"bioguide_corrected", "files_in", "files_written"}`; rows_in = silver_rows +
quarantined, always.

Members: a filing's `bioguide` is used when it names a senator. An id the legislators
data does not hold is quarantined with the reason. An id of someone who never sat in
the Senate (the Senate's own data has a few, e.g. a 1795 representative for Jack
Reed) is a wrong id: the filer's name resolves the senator instead, and the row
counts in `bioguide_corrected`. No id: the name and the filing date resolve the
senator (member_resolver.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import polars as pl

from common import ledger
from common.congress import senate_ptr
from common.congress.member_resolver import MemberResolver
from common.congress.schemas import SilverPtrTransactions
from common.congress.silver import ingest_summary, part_key, silver_rows, write_new
from common.congress.sources import IngestParams
from common.congress.tables import QUARANTINE_SENATE_PTR
from common.jobs import JobContext, TableJob
from common.storage import SourceRoots
from common.validation import split_valid

JOB_NAME = "ingest_senate_ptr"
BRONZE_SENATE = "bronze/senate"  # where Senate daily reports are dropped
PAPER_FILINGS = "quarantine/ptr_paper_filings"  # filings listing no transactions
COUNTS = [  # per report, added up
    "rows_in",
    "quarantined",
    "empty_filings",
    "bioguide_corrected",
    "files_written",
]


class Members:
    """Who a Senate filing names: its bioguide id, checked, or its filer's name."""

    def __init__(self, terms: pl.DataFrame) -> None:
        self.known = set(terms["bioguide_id"].to_list())
        self.senators = set(terms.filter(pl.col("chamber") == "sen")["bioguide_id"])
        self.resolver = MemberResolver(terms, chamber="sen")

    def attribute(
        self, name: str, last: str, given: str | None, on: dt.date | None
    ) -> tuple[str | None, bool, str | None]:
        """(bioguide_id, corrected, reason to quarantine)"""
        if given in self.senators:
            return given, False, None
        if given and given not in self.known:
            return None, False, f"bioguide: {given} is not in the legislators data"
        found = self.resolver.resolve(name, "", None, on, last=last)
        if given and not found:
            why = f"bioguide: {given} never sat in the Senate and the name matches none"
            return None, False, why
        return found, bool(given), None


def attribute(parsed: pl.DataFrame, members: Members) -> pl.DataFrame:
    keys = ["filer_name", "last_name", "bioguide_given", "notification_date"]
    filers = parsed.select(keys).unique()
    found = [members.attribute(*row) for row in filers.iter_rows()]
    return parsed.join(
        filers.with_columns(
            pl.DataFrame(
                found,
                schema={
                    "bioguide_id": pl.String,
                    "corrected": pl.Boolean,
                    "member_reason": pl.String,
                },
                orient="row",
            )
        ),
        on=keys,
        how="left",
        nulls_equal=True,
    ).with_columns(
        reason=pl.concat_str(
            "reason", "member_reason", separator="; ", ignore_nulls=True
        ).replace("", None)
    )


def ingest_file(
    ctx: JobContext, data: bytes, members: Members, now: dt.datetime
) -> tuple[pl.DataFrame, dict[str, int]]:
    """One report, ingested whole: (its silver rows, its counts)."""
    filings = senate_ptr.read_filings(data, "source_uri")
    rows = senate_ptr.transactions(filings)
    parsed = attribute(senate_ptr.parse(rows, now.date()), members)
    silver, rejected = split_valid(
        silver_rows(parsed, "senate", now), SilverPtrTransactions
    )
    quarantine = pl.concat(
        [
            parsed.filter(pl.col("reason").is_not_null()).select(
                *senate_ptr.SOURCE_COLUMNS, "doc_id", "reason"
            ),
            rejected.select("doc_id", "txn_index", "reason"),
        ],
        how="diagonal_relaxed",
    )
    paper = filings.filter(pl.col("transactions").list.len() == 0).drop("transactions")
    digest = hashlib.sha256(data).hexdigest()[:16]
    written = write_new(
        ctx,
        {
            part_key(digest): silver,
            f"{QUARANTINE_SENATE_PTR}/{digest}.parquet": quarantine,
            f"{PAPER_FILINGS}/{digest}.parquet": paper,
        },
    )
    keys = ["doc_id", "txn_index"]
    fixed = parsed.filter(pl.col("reason").is_null() & pl.col("corrected"))
    corrected = silver.join(fixed.select(keys), on=keys, how="semi")
    return silver, {
        "rows_in": rows.height,
        "quarantined": quarantine.height,
        "empty_filings": paper.height,
        "bioguide_corrected": corrected.height,
        "files_written": written,
    }


def ingest(ctx: JobContext, p: IngestParams) -> dict[str, Any]:
    wh = ctx.warehouse
    roots = SourceRoots.from_env(wh)
    uris = p.files(ctx, JOB_NAME, BRONZE_SENATE, expand=True)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results = []
    if uris:  # nothing new: the legislators files need not even be read
        members = Members(p.terms(wh))
    for uri in uris:  # one report at a time: each is ingested whole, then recorded
        results.append(ingest_file(ctx, roots.read(uri, "source_uri"), members, now))
        ledger.record(ctx, JOB_NAME, uri, "source_uri")
    return ingest_summary(results, COUNTS, len(uris))


JOB = TableJob(JOB_NAME, IngestParams, ingest)
