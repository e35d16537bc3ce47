"""Test helpers for the chargebacks tenant: write generated event logs into a
warehouse, read its tables back, and an oracle for the checkpoint."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import polars as pl

from common.chargebacks import generate
from common.chargebacks.checkpoint_event_log import CHECKPOINT, EVENTS, QUARANTINE
from common.storage import Warehouse

START, END = dt.date(2024, 3, 1), dt.date(2024, 3, 3)


def write_logs(wh: Warehouse, logs: dict[str, str]) -> list[str]:
    for key, text in logs.items():
        path = os.path.join(wh.root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return [wh.uri(k) for k in sorted(logs)]


def sample_logs(per_day: int = 50, seed: int = 7) -> dict[str, str]:
    """The sample event's data (lambda/checkpoint_event_log/): three days."""
    return generate.event_logs(generate.chargebacks(START, END, per_day, seed), seed)


def events_table(wh: Warehouse) -> pl.DataFrame:
    keys = wh.keys(EVENTS, ".parquet")
    if not keys:
        return pl.DataFrame()
    return pl.concat([pl.read_parquet(wh.read_bytes(k)) for k in keys]).sort("event_id")


def checkpoint_table(wh: Warehouse) -> pl.DataFrame:
    if not wh.exists(CHECKPOINT):
        return pl.DataFrame()
    return pl.read_parquet(wh.read_bytes(CHECKPOINT))


def quarantine_table(wh: Warehouse) -> pl.DataFrame:
    keys = wh.keys(QUARANTINE, ".parquet")
    if not keys:
        return pl.DataFrame(schema={"source_uri": pl.String, "line_number": pl.Int64})
    frames = [pl.read_parquet(wh.read_bytes(k)) for k in keys]
    return pl.concat(frames).sort("source_uri", "line_number")


def oracle(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each chargeback's state, applying its events one by one in (occurred_at,
    event_id) order, from the raw lines (version 1's `reason` read by hand)."""

    def at(e: dict) -> dt.datetime:
        return dt.datetime.fromisoformat(e["occurred_at"]).astimezone(dt.UTC)

    first: dict[str, dict] = {}
    for e in lines:  # one delivery per event id: the first
        first.setdefault(e["event_id"], e)
    state: dict[str, dict[str, Any]] = {}
    for e in sorted(
        first.values(), key=lambda e: (e["chargeback_id"], at(e), e["event_id"])
    ):
        s = state.setdefault(
            e["chargeback_id"],
            {
                "created_at": None,
                "merchant_id": None,
                "currency": None,
                "reason_code": None,
                "network": None,
                "amount_cents": None,
                "status": None,
                "outcome": None,
                "evidence_count": 0,
                "events_applied": 0,
            },
        )
        p, kind = e["payload"], e["event_type"]
        if kind == "chargeback_created":
            s.update(
                created_at=at(e),
                merchant_id=p["merchant_id"],
                currency=p["currency"],
                amount_cents=p["amount_cents"],
                reason_code=p.get("reason_code", p.get("reason")),
                network=p.get("network", "unknown"),
                status="open",
            )
        elif kind == "amount_adjusted":
            s["amount_cents"] = p["amount_cents"]
        elif kind == "status_changed":
            s["status"] = p["status"]
        elif kind == "evidence_submitted":
            s["evidence_count"] += 1
        elif kind == "closed":
            s.update(status="closed", outcome=p["outcome"])
        s["events_applied"] += 1
        s["last_event_id"], s["last_event_at"] = e["event_id"], at(e)
    return state


def lines_of(logs: dict[str, str]) -> list[dict[str, Any]]:
    return [json.loads(line) for k in sorted(logs) for line in logs[k].splitlines()]
