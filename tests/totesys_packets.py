"""Packets for tests: the real dump as packet 1 of every table, and updates of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from common.storage import Warehouse
from common.totesys.sources import packet_key
from tests.shared_data import shared_file


def dump_rows(table: str) -> list[dict[str, Any]]:
    path = Path(shared_file("totesys", f"{table}.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_packet(
    ingestion: Warehouse, table: str, packet_id: int, rows: list[dict]
) -> dict:
    body = "\n".join(json.dumps(r) for r in rows).encode()
    ingestion.put_if_absent(packet_key(table, packet_id), body)
    return {"table": table, "id": packet_id}


def first_packets(ingestion: Warehouse) -> list[dict]:
    tables = sorted(p.stem for p in Path(shared_file("totesys")).glob("*.jsonl"))
    return [write_packet(ingestion, t, 1, dump_rows(t)) for t in tables]
