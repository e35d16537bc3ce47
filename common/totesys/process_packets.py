"""process_totesys_packets: ingestion packets -> star-table delta objects.

Event `{"packets": [{"table": "sales_order", "id": 2}, ...]}`. Packets run one by one
in (table, id) order. For each: the source table's latest known state (under
`<warehouse>/_state/totesys/`) absorbs the packet, the star rows it changes are built
(dependent dimensions re-emitted: staff <- department, counterparty <- address),
validated (bad rows to quarantine) and written put-if-absent as
`<star>/<star>_packet_<id>_processed_<newest last_updated>.parquet` under
PROCESSED_URI. Job state (processed ids, the last sales_record_id) moves only after the
outputs exist, so a rerun meets the same keys and finds them already written.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import polars as pl
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field, field_validator

from common import id_ranges
from common.errors import InvalidEvent
from common.jobs import JobContext, TableJob
from common.observability import emit, logger
from common.storage import Warehouse
from common.totesys import star
from common.totesys.schemas import STAR
from common.totesys.sources import PACKET, SOURCES, packet_key, state_key
from common.validation import split_valid

STATE = "totesys/packets"
TABLE_METRICS = {
    "rows_in": "RowsIn",
    "rows_out": "RowsOut",
    "quarantined": "RowsQuarantined",
    "objects": "ObjectsWritten",
}
# The only source tables whose latest rows a star table needs beyond the packet
# itself, and the ones each packet table reads: staff rows join their department,
# a department change re-emits its staff, and the same for counterparty <- address.
# Other tables (sales_order among them) keep no state: their cost is the packet's.
READS = {
    "staff": ["department"],
    "department": ["staff"],
    "address": ["counterparty"],
    "counterparty": ["address"],
}
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

    packets: list[Packet]


def roots(ctx: JobContext) -> tuple[Warehouse, Warehouse]:
    wh = ctx.warehouse
    ingestion = os.environ.get("INGESTION_URI") or wh.uri("ingestion")
    processed = os.environ.get("PROCESSED_URI") or wh.uri("processed")
    return Warehouse(ingestion), Warehouse(processed)


def source_state(wh: Warehouse, table: str) -> pl.DataFrame | None:
    key = state_key(table)
    return pl.read_parquet(wh.uri(key)) if wh.exists(key) else None


def absorb(before: pl.DataFrame | None, delta: pl.DataFrame, pk: str) -> pl.DataFrame:
    """Latest row per primary key, by last_updated."""
    both = (
        delta if before is None else pl.concat([before, delta], how="diagonal_relaxed")
    )
    return both.sort("last_updated").unique(pk, keep="last").sort(pk)


def star_rows(
    table: str, delta: pl.DataFrame, known: dict[str, pl.DataFrame | None], next_id: int
) -> dict[str, pl.DataFrame]:
    """The star rows a delta of `table` changes (`known`: source states after it)."""
    staff, dept = known.get("staff"), known.get("department")
    addr, cps = known.get("address"), known.get("counterparty")
    if table == "sales_order":
        facts = star.fact_sales_order(delta, next_id)
        return {"fact_sales_order": facts, "dim_date": star.dim_date(facts)}
    if table == "staff" and dept is not None:
        return {"dim_staff": star.dim_staff(delta, dept)}
    if table == "department" and staff is not None and dept is not None:
        moved = staff.filter(
            pl.col("department_id").is_in(delta["department_id"].implode())
        )
        return {"dim_staff": star.dim_staff(moved, dept)}
    if table == "address":
        out = {"dim_location": star.dim_location(delta)}
        if cps is not None and addr is not None:
            hit = cps.filter(
                pl.col("legal_address_id").is_in(delta["address_id"].implode())
            )
            out["dim_counterparty"] = star.dim_counterparty(hit, addr)
        return out
    if table == "counterparty" and addr is not None:
        return {"dim_counterparty": star.dim_counterparty(delta, addr)}
    if table == "currency":
        return {"dim_currency": star.dim_currency(delta)}
    if table == "design":
        return {"dim_design": star.dim_design(delta)}
    # a dependant arriving before what it references is emitted when that arrives;
    # payment_type, purchase_order, transaction, payment only update state
    return {}


def output_key(name: str, packet_id: int, newest: dt.datetime) -> str:
    stamp = newest.strftime("%Y%m%dT%H%M%S%f")
    return f"{name}/{name}_packet_{packet_id}_processed_{stamp}.parquet"


def put(processed: Warehouse, key: str, frame: pl.DataFrame) -> bool:
    """Put-if-absent; an object with the same rows already there (a rerun) counts as
    written."""
    if not processed.create_parquet(frame, key):
        logger.info("output already written by an earlier run", extra={"key": key})
    return True


def publish_last_id(table: str, last: int) -> None:
    """The seed's SSM parameter `/<prefix>/packet_id/<table>`, for its other readers."""
    prefix = os.environ.get("SSM_PARAMETER_PREFIX")
    if prefix:
        import boto3
        from botocore.config import Config

        # transient errors: botocore's own retries (standard mode), not a loop here
        retries = Config(retries={"mode": "standard", "max_attempts": 5})
        boto3.client("ssm", config=retries).put_parameter(
            Name=f"/{prefix.strip('/')}/packet_id/{table}",
            Value=str(last),
            Type="String",
            Overwrite=True,
        )


def pending(ctx: JobContext) -> list[dict[str, Any]]:
    """Packets in the ingestion root not processed yet (the flow's discovery)."""
    ingestion, _ = roots(ctx)
    done = processed_ids(ctx.state.get(STATE) or {})
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


def read_packet(ingestion: Warehouse, packet: Packet, field: str) -> pl.DataFrame:
    """A packet's rows; InvalidEvent naming `field` when it is missing, is not JSON
    lines, or lacks its table's key or last_updated."""
    key = packet_key(packet.table, packet.id)
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
    lacking = {SOURCES[packet.table], "last_updated"} - set(delta.columns)
    if lacking:
        raise InvalidEvent(field, f"{ingestion.uri(key)} lacks {sorted(lacking)}")
    return delta


def process(ctx: JobContext, p: PacketsParams) -> dict[str, Any]:
    wh = ctx.warehouse
    ingestion, processed = roots(ctx)
    state = ctx.state.get(STATE) or {"processed": {}, "next_sales_record_id": 1}
    done = state["processed"] = processed_ids(state)
    report: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    # Every packet is read and checked before the first is processed: a bad one is
    # a 400 naming it, with nothing written.
    deltas = {
        (packet.table, packet.id): read_packet(ingestion, packet, f"packets.{i}")
        for i, packet in enumerate(p.packets)
        if not id_ranges.contains(done.get(packet.table, []), packet.id)
    }
    for packet in sorted(p.packets, key=lambda k: (k.table, k.id)):
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
            index = next(i for i, q in enumerate(p.packets) if q == packet)
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
    for name, stats in tables.items():
        for field, metric in TABLE_METRICS.items():
            emit(JOB.name, metric, MetricUnit.Count, stats[field], table=name)
    return {"packets": report, "tables": tables}


JOB = TableJob("process_totesys_packets", "totesys", PacketsParams, process)
