"""Where Totesys packets, outputs and job state live, and reading and writing them.

Packets are read from INGESTION_URI, outputs written put-if-absent under
PROCESSED_URI; the job state (processed packet ids as ranges, the next
sales_record_id) is one item of the state store, and the latest rows of the source
tables a dependant needs are Parquet under `<warehouse>/_state/totesys/sources/`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import polars as pl

from common import id_ranges
from common.errors import InvalidEvent
from common.jobs import JobContext
from common.observability import logger
from common.storage import Warehouse
from common.totesys.sources import PACKET, SOURCES, packet_key, state_key

STATE = "process_totesys_packets"  # the job's name, as every job state key
FORMER_STATE = "totesys/packets"  # the key before; read until the next commit


def roots(ctx: JobContext) -> tuple[Warehouse, Warehouse]:
    wh = ctx.warehouse
    ingestion = os.environ.get("INGESTION_URI") or wh.uri("ingestion")
    processed = os.environ.get("PROCESSED_URI") or wh.uri("processed")
    return Warehouse(ingestion), Warehouse(processed)


def source_state(wh: Warehouse, table: str) -> pl.DataFrame | None:
    key = state_key(table)
    return pl.read_parquet(wh.uri(key)) if wh.exists(key) else None


def output_key(name: str, packet_id: int, newest: dt.datetime) -> str:
    stamp = newest.strftime("%Y%m%dT%H%M%S%f")
    return f"{name}/{name}_packet_{packet_id}_processed_{stamp}.parquet"


def put(processed: Warehouse, key: str, frame: pl.DataFrame) -> bool:
    """Put-if-absent; an object with the same rows already there (a rerun) counts as
    written."""
    if not processed.create_parquet(frame, key):
        logger.info("output already written by an earlier run", extra={"key": key})
    return True


def pending(ctx: JobContext) -> list[dict[str, Any]]:
    """Packets in the ingestion root not processed yet (the flow's discovery)."""
    ingestion, _ = roots(ctx)
    done = processed_ids(ctx.load(STATE, FORMER_STATE) or {})
    found = []
    for table in SOURCES:
        for key in ingestion.keys(table, ".jsonl"):
            match = PACKET.match(key)
            if match and not id_ranges.contains(done.get(table, []), int(match["id"])):
                found.append({"table": table, "id": int(match["id"])})
    return found


def processed_ids(state: dict[str, Any]) -> dict[str, id_ranges.Ranges]:
    """Processed packet ids per table, as ranges (lists of ids in older states)."""
    return {t: id_ranges.migrate(v) for t, v in state.get("processed", {}).items()}


def read_packet(
    ingestion: Warehouse, table: str, packet_id: int, field: str
) -> pl.DataFrame:
    """A packet's rows; InvalidEvent naming `field` when it is missing, is not JSON
    lines, or lacks its table's key or last_updated."""
    key = packet_key(table, packet_id)
    if not ingestion.exists(key):
        raise InvalidEvent(field, f"no packet at {ingestion.uri(key)}")
    # One GET, parsed in memory: Polars' own cloud NDJSON reader stages files in a
    # folder it derives from $HOME, which Lambda does not set.
    raw = io.BytesIO(ingestion.read_bytes(key))
    try:
        delta = pl.read_ndjson(raw, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        problem = f"{ingestion.uri(key)} is not UTF-8 JSON lines: {exc}"
        raise InvalidEvent(field, problem[:400]) from exc
    lacking = {SOURCES[table], "last_updated"} - set(delta.columns)
    if lacking:
        raise InvalidEvent(field, f"{ingestion.uri(key)} lacks {sorted(lacking)}")
    return delta
