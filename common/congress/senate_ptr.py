"""Parse the Senate's daily PTR reports (senate-stock-watcher format) into silver rows.

A report is a JSON array of filings (filer name, office, `ptr_link`, `date_recieved`
[sic], `bioguide`), each with its transactions. The Senate's site puts HTML in the
text: links around tickers, `<div>` blocks with a bond's coupon and maturity after
the asset's name, entities (`&amp;`, `&nbsp;`); all of it becomes plain text, the
block in its own column (`asset_detail`). A filing's id is the one in its `ptr_link`;
a transaction's index is its position in the filing, so ids are stable across reruns.
Paper filings list no transactions: they are counted, and kept apart, never lost.
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl

from common.congress import ptr_rows
from common.errors import InvalidEvent

TRANSACTION_FIELDS = [
    "transaction_date",
    "owner",
    "ticker",
    "asset_description",
    "asset_type",
    "type",
    "amount",
    "comment",
]
FILING_FIELDS = ["first_name", "last_name", "office", "ptr_link", "date_recieved"]
TEXT = pl.String()
FILING_SCHEMA = pl.Schema(
    {
        **{name: TEXT for name in [*FILING_FIELDS, "bioguide"]},
        "transactions": pl.List(pl.Struct({f: TEXT for f in TRANSACTION_FIELDS})),
    }
)
# What a quarantined row keeps of its source: the filing's and the transaction's fields.
SOURCE_COLUMNS = [*FILING_FIELDS, "bioguide", "txn_index", *TRANSACTION_FIELDS]
ENTITIES = {"&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def read_filings(data: bytes, field: str) -> pl.DataFrame:
    """One row per filing; a file of another shape is an invalid event naming
    `field`."""
    try:
        frame = pl.read_json(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise InvalidEvent(field, f"not a JSON array of Senate filings: {exc}") from exc
    if frame.is_empty():  # a day with no filings
        return pl.DataFrame(schema=FILING_SCHEMA)
    missing = [c for c in [*FILING_FIELDS, "transactions"] if c not in frame.columns]
    if missing:
        raise InvalidEvent(field, f"filings lack the fields {missing}")
    if "bioguide" not in frame.columns:
        frame = frame.with_columns(bioguide=pl.lit(None, pl.String))
    try:
        return frame.select(FILING_SCHEMA.names()).cast(dict(FILING_SCHEMA))  # type: ignore[arg-type]
    except pl.exceptions.PolarsError as exc:
        raise InvalidEvent(field, f"filings of an unexpected shape: {exc}") from exc


def transactions(filings: pl.DataFrame) -> pl.DataFrame:
    """One row per transaction, with its filing's fields and its index in the filing."""
    listed = filings.filter(pl.col("transactions").list.len() > 0)
    return (
        listed.with_columns(
            txn_index=pl.int_ranges(pl.col("transactions").list.len(), dtype=pl.Int64)
        )
        .explode("transactions", "txn_index")
        .unnest("transactions")
        .select(SOURCE_COLUMNS)
    )


def html_text(expr: pl.Expr) -> pl.Expr:
    """Markup removed, entities decoded (`&amp;` last), whitespace collapsed."""
    text = expr.str.replace_all(r"<[^>]*>", " ")
    for entity, char in ENTITIES.items():
        text = text.str.replace_all(entity, char, literal=True)
    text = text.str.replace_all("&amp;", "&", literal=True)
    return text.str.replace_all(r"\s+", " ").str.strip_chars()


def parse(rows: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Transaction rows -> parsed columns + `reason` (null when valid)."""
    description = pl.col("asset_description")
    detail = html_text(description.str.extract(r"(?s)(<div.*)$"))
    given = pl.col("bioguide").str.strip_chars()
    parsed = rows.with_columns(
        doc_id=pl.col("ptr_link").str.extract(r"/view/(?:ptr|paper)/([0-9A-Fa-f-]+)/?$"),
        filer_name=pl.concat_str(
            html_text(pl.col("first_name")),
            html_text(pl.col("last_name")),
            separator=" ",
        ),
        bioguide_given=pl.when(given != "").then(given),
        asset_name=html_text(description.str.replace(r"(?s)<div.*$", "")),
        asset_detail=pl.when(detail != "").then(detail),
        ticker=ptr_rows.ticker(html_text(pl.col("ticker"))),
        **ptr_rows.fields(notified="date_recieved"),
    ).with_columns(filing_date=pl.col("notification_date").max().over("doc_id"))
    rules = [
        (pl.col("doc_id").is_null(), "ptr_link: no filing id in the link"),
        *ptr_rows.checks(today, notified="date_recieved"),
    ]
    return parsed.with_columns(reason=ptr_rows.reason(rules))
