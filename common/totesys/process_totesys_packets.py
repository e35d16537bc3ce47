"""process_totesys_packets: ingestion packets -> star-table delta objects.

Event `{"packets": [{"table": "sales_order", "id": 2}, ...]}`. Packets run one by one
in (table, id) order. For each: the source table's latest known state (under
`<warehouse>/_state/totesys/`) absorbs the packet, the star rows it changes are built
(dependent dimensions re-emitted: staff <- department, counterparty <- address),
validated (bad rows to quarantine) and written put-if-absent as
`<star>/<star>_packet_<id>_processed_<newest last_updated>.parquet` under
PROCESSED_URI. Job state (processed ids, the last sales_record_id) moves only after the
outputs exist, so a rerun meets the same keys and finds them already written.

The pieces: packet_store.py (where packets, outputs and state live), dispatch.py
(which star rows a table's packet changes), star.py (the transforms), ssm.py and
metrics.py (what is published about a run).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

from common import id_ranges
from common.errors import InvalidEvent
from common.jobs import JobContext, TableJob
from common.observability import logger
from common.totesys import star
from common.totesys.dispatch import READS, absorb, star_rows
from common.totesys.metrics import emit_table_metrics
from common.totesys.packet_store import (
    FORMER_STATE,
    STATE,
    output_key,
    pending,
    processed_ids,
    put,
    read_packet,
    roots,
    source_state,
)
from common.totesys.schemas import STAR
from common.totesys.sources import SOURCES, state_key
from common.totesys.ssm import publish_last_id
from common.validation import split_valid

MAX_PACKET_ID = 2**31 - 1


class Packet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    id: int = Field(ge=1, le=MAX_PACKET_ID, strict=True)

    @field_validator("table")
    @classmethod
    def known_table(cls, table: str) -> str:
        if table not in SOURCES:
            raise ValueError(f"unknown source table {table!r}")
        return table


class PacketsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # none: every packet in the ingestion root not processed yet (a schedule's or an
    # S3 notification's run)
    packets: list[Packet] | None = None


def process(ctx: JobContext, p: PacketsParams) -> dict[str, Any]:
    wh = ctx.warehouse
    ingestion, processed = roots(ctx)
    packets = p.packets
    if packets is None:
        packets = [Packet(**found) for found in pending(ctx)]
    state = ctx.load(STATE, FORMER_STATE) or {
        "processed": {},
        "next_sales_record_id": 1,
    }
    done = state["processed"] = processed_ids(state)
    report: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    # Every packet is read and checked before the first is processed: a bad one is
    # a 400 naming it, with nothing written.
    deltas = {
        (packet.table, packet.id): read_packet(
            ingestion, packet.table, packet.id, f"packets.{i}"
        )
        for i, packet in enumerate(packets)
        if not id_ranges.contains(done.get(packet.table, []), packet.id)
    }
    for packet in sorted(packets, key=lambda k: (k.table, k.id)):
        seen = done.get(packet.table, [])
        if id_ranges.contains(seen, packet.id):
            report.append({"table": packet.table, "id": packet.id, "status": "skipped"})
            continue
        missing = id_ranges.gaps_below(seen, packet.id)
        if missing:
            logger.warning(
                "packet ids missing before this one",
                extra={"table": packet.table, "id": packet.id, "missing": missing},
            )
        delta = deltas[(packet.table, packet.id)]
        pk = SOURCES[packet.table]
        kept = packet.table in READS
        after = absorb(source_state(wh, packet.table), delta, pk) if kept else None
        delta = delta.sort("last_updated").unique(pk, keep="last")

        known = {t: source_state(wh, t) for t in READS.get(packet.table, [])}
        known[packet.table] = after
        try:
            next_id = state["next_sales_record_id"]
            changes = star_rows(packet.table, delta, known, next_id)
        except pl.exceptions.ColumnNotFoundError as exc:  # before anything is written
            index = next(i for i, q in enumerate(packets) if q == packet)
            problem = f"{packet.table} packet {packet.id} lacks a column: {exc}"
            raise InvalidEvent(f"packets.{index}", problem[:400]) from exc
        for name, rows in changes.items():
            if rows.is_empty():
                continue
            # sorted by the natural key: the same input always gives the same bytes,
            # which is what lets a rerun recognise its own earlier output
            valid, rejected = split_valid(
                rows.drop(star.STAMP).sort(rows.columns[0]), STAR[name]
            )
            stamp: dt.datetime = rows[star.STAMP].max()  # type: ignore[assignment]
            stats = tables.setdefault(
                name,
                {
                    "rows_in": 0,
                    "rows_out": 0,
                    "quarantined": 0,
                    "objects": 0,
                    "packet_ids": [],
                    "timestamp": "",
                },
            )
            stats["rows_in"] += rows.height
            stats["packet_ids"].append(f"{packet.table}#{packet.id}")
            stats["timestamp"] = max(stats["timestamp"], stamp.isoformat())
            if valid.height:
                put(processed, output_key(name, packet.id, stamp), valid)
                stats["rows_out"] += valid.height
                stats["objects"] += 1
            if rejected.height:
                q_key = f"quarantine/{name}/{name}_packet_{packet.id}.parquet"
                put(processed, q_key, rejected)
                stats["quarantined"] += rejected.height
            if name == "fact_sales_order":
                state["next_sales_record_id"] += rows.height
        if after is not None:
            wh.write_parquet(after, state_key(packet.table))
        done[packet.table] = id_ranges.add(seen, packet.id)
        ctx.commit(STATE, state)
        publish_last_id(packet.table, id_ranges.highest(done[packet.table]))
        late = packet.id < id_ranges.highest(seen)
        status = "processed late" if late else "processed"
        report.append({"table": packet.table, "id": packet.id, "status": status})
    emit_table_metrics(JOB.name, tables)
    return {"packets": report, "tables": tables}


JOB = TableJob("process_totesys_packets", PacketsParams, process)
