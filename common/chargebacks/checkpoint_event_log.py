"""checkpoint_event_log: event-log files -> the events table and the checkpoint.

Input: JSON-lines files under `bronze/event_logs/YYYY/MM/DD/`. The event names them
(`{"source_uris": [...]}`, or an S3 notification: S3's own, EventBridge's or SQS's);
with neither, the job takes every file the ledger has not seen. Each line is parsed
by the event models (events.py); a bad line goes to quarantine with its file, line
number and reason, and the good lines of the same file go on.

Output, in this order, so a crash at any point is followed by a rerun that converges:
1. new events, once per event_id: `gold/chargebacks/events/date=<UTC date>/` parts
   named by content (an event id already there is a duplicate delivery, counted);
2. the checkpoint, rewritten whole: the chargebacks this run's events mention are
   recomputed from all their events, the others kept as they were;
3. the rejected lines of each file, one part per file, named by content;
4. the ledger entry of each file: only now is the file done. A rerun of a file not
   recorded finds its events already there and its quarantine part identical.
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from common import ledger
from common.chargebacks.checkpoint import checkpoint
from common.chargebacks.events import parse_line
from common.chargebacks.notifications import object_uris
from common.chargebacks.schemas import Checkpoint, Events, RejectedLines
from common.errors import InvalidEvent
from common.jobs import JobContext, TableJob
from common.storage import SourceRoots, Warehouse

BRONZE = "bronze/event_logs/"
EVENTS = "gold/chargebacks/events"
CHECKPOINT = "gold/chargebacks/checkpoint/checkpoint.parquet"
QUARANTINE = "quarantine/chargeback_events"
NAME = "checkpoint_event_log"


class CheckpointParams(BaseModel):
    """`{"source_uris": [...]}`, an S3 notification, or `{}` (every new file)."""

    model_config = ConfigDict(extra="forbid")

    source_uris: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def from_notification(cls, event: Any) -> Any:
        if isinstance(event, dict) and "source_uris" not in event:
            uris = object_uris(event)
            if uris is not None:
                return {"source_uris": uris or None}
        return event


def content_key(prefix: str, df: pl.DataFrame) -> str:
    digest = hashlib.sha256(df.write_csv().encode()).hexdigest()[:32]
    return f"{prefix}/part-{digest}.parquet"


def read_file(roots: SourceRoots, uri: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the file's valid events, its rejected lines with their reasons)."""
    text = roots.read(uri, "source_uris").decode("utf-8", errors="replace")
    good, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parsed = parse_line(line)
        if isinstance(parsed, str):
            bad.append((uri, number, parsed, line))
        else:
            good.append(parsed)
    events = pl.DataFrame(good, schema=events_schema())
    rejected = pl.DataFrame(
        bad, schema=list(RejectedLines.to_schema().columns), orient="row"
    )
    return events, RejectedLines.validate(rejected)


def events_schema() -> dict[str, pl.DataType]:
    return {name: col.dtype.type for name, col in Events.to_schema().columns.items()}


def event_parts(wh: Warehouse) -> list[str]:
    return wh.keys(f"{EVENTS}/", ".parquet")


def write_events(ctx: JobContext, events: pl.DataFrame) -> tuple[int, int]:
    """(events new to the table, parts written): ids already there, in any date
    (a redelivery may disagree about the time), are left out."""
    wh = ctx.warehouse
    parts = event_parts(wh)
    if parts:
        seen = wh.scan_parquet(parts).select("event_id").collect()
        events = events.join(seen, on="event_id", how="anti")
    written = 0
    for (day,), part in events.partition_by("date", as_dict=True).items():
        ctx.check_lease()
        part = part.sort("occurred_at", "event_id")
        written += wh.create_parquet(part, content_key(f"{EVENTS}/date={day}", part))
    return events.height, written


def update_checkpoint(ctx: JobContext, touched: pl.Series) -> tuple[int, int]:
    """(rows of the checkpoint, its size in bytes), the touched chargebacks
    recomputed from all their events."""
    wh = ctx.warehouse
    history = (
        wh.scan_parquet(event_parts(wh))
        .filter(pl.col("chargeback_id").is_in(touched.implode()))
        .collect()
    )
    fresh = checkpoint(history)
    if wh.exists(CHECKPOINT):
        kept = pl.read_parquet(wh.read_bytes(CHECKPOINT)).join(
            fresh.select("chargeback_id"), on="chargeback_id", how="anti"
        )
        fresh = pl.concat([kept, fresh], how="vertical_relaxed")
    table = Checkpoint.validate(fresh.sort("chargeback_id"))
    ctx.check_lease()
    wh.write_parquet(table, CHECKPOINT)
    return table.height, wh.size(CHECKPOINT)


def checkpoint_event_log(ctx: JobContext, params: CheckpointParams) -> dict[str, Any]:
    roots = SourceRoots.from_env(ctx.warehouse)
    if params.source_uris:
        for uri in params.source_uris:
            roots.check(uri, "source_uris")
            if not uri.endswith(".jsonl"):
                raise InvalidEvent("source_uris", f"not a .jsonl event log: {uri}")
    try:
        if params.source_uris:
            uris = dict.fromkeys(params.source_uris)  # a notification may repeat one
            files = [
                u for u in uris if not ledger.processed(ctx, NAME, u, "source_uris")
            ]
        else:
            files = ledger.pending(ctx, NAME, BRONZE, ".jsonl")
        read = [(uri, *read_file(roots, uri)) for uri in files]
    except FileNotFoundError as exc:
        raise InvalidEvent("source_uris", f"no such event log: {exc}") from exc
    summary = {"files_in": len(files), "events_processed": 0, "events_failed": 0}
    if not files:
        return {**summary, "events_new": 0, "duplicates": 0, "files_written": 0}
    events = pl.concat([e for _, e, _ in read])
    # one row per event id: the first delivery, in file then line order
    unique = Events.validate(
        events.unique("event_id", keep="first", maintain_order=True)
    )
    new = written = rows = size = 0
    if unique.height:
        new, written = write_events(ctx, unique)
        rows, size = update_checkpoint(ctx, unique["chargeback_id"].unique())
    for _, _, rejected in read:
        if rejected.height:
            written += ctx.warehouse.create_parquet(
                rejected, content_key(QUARANTINE, rejected)
            )
    for uri, _, _ in read:
        ledger.record(ctx, NAME, uri, "source_uris")
    failed = sum(r.height for _, _, r in read)
    return {
        **summary,
        "lines_in": events.height + failed,
        "events_processed": events.height,
        "events_new": new,
        "duplicates": events.height - new,
        "events_failed": failed,
        "chargebacks_updated": unique["chargeback_id"].n_unique(),
        "checkpoint_rows": rows,
        "output_file_size": size,
        "files_written": written + (1 if unique.height else 0),
    }


JOB = TableJob(NAME, CheckpointParams, checkpoint_event_log)
