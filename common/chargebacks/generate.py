"""Deterministic chargebacks data (nothing public exists): the chargeback records,
their event-log files and the consolidation events, all from a seed."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

from common.chargebacks.store import ChargebackStore
from common.storage import Warehouse

OFFSETS = [dt.timezone(dt.timedelta(hours=h)) for h in (-5, 0, 1, 2, 9)]
REASONS = ("fraud", "not_received", "duplicate", "not_as_described")
NETWORKS = ("visa", "mastercard", "amex")
EVIDENCE = ("receipt", "tracking", "correspondence")


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    for n in range((end - start).days + 1):
        yield start + dt.timedelta(days=n)


def chargebacks(
    start: dt.date, end: dt.date, per_day: int, seed: int = 7
) -> list[dict]:
    """The store's records: keyed by chargeback_id + created_at, in partition_date."""
    rng = random.Random(seed)
    rows = []
    for day in days(start, end):
        for i in range(per_day):
            at = dt.datetime.combine(day, dt.time(), dt.UTC)
            at += dt.timedelta(seconds=rng.randrange(86_400))
            rows.append(
                {
                    "chargeback_id": f"cb-{day:%Y%m%d}-{i:06d}",
                    "created_at": at.isoformat(),
                    "partition_date": day.isoformat(),
                    "merchant_id": f"m-{rng.randrange(500):04d}",
                    "amount_cents": rng.randrange(100, 500_000),
                    "currency": rng.choice(("USD", "EUR", "GBP")),
                }
            )
    return rows


def lifecycle(cb: dict, rng: random.Random, v1_before: dt.date) -> list[dict]:
    """A chargeback's events: created, then some of evidence / status / amount, and
    usually closed. Created before `v1_before` are written in schema version 1."""
    created = dt.datetime.fromisoformat(cb["created_at"])
    version = 1 if created.date() < v1_before else 2
    reason = rng.choice(REASONS)
    payload: dict[str, Any] = {
        "amount_cents": cb["amount_cents"],
        "currency": cb["currency"],
        "merchant_id": cb["merchant_id"],
    }
    if version == 1:
        payload["reason"] = reason
    else:
        payload |= {"reason_code": reason, "network": rng.choice(NETWORKS)}
    steps: list[tuple[str, dict]] = [("chargeback_created", payload)]
    for _ in range(rng.randrange(4)):
        options: list[tuple[str, dict]] = [
            ("evidence_submitted", {"evidence_type": rng.choice(EVIDENCE)}),
            ("status_changed", {"status": rng.choice(("under_review", "disputed"))}),
            ("amount_adjusted", {"amount_cents": rng.randrange(100, 500_000)}),
        ]
        steps.append(rng.choice(options))
    if rng.random() < 0.7:
        steps.append(("closed", {"outcome": rng.choice(("won", "lost", "withdrawn"))}))
    at, events = created, []
    for n, (kind, body) in enumerate(steps):
        offset = rng.choice(OFFSETS)
        events.append(
            {
                "event_id": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"{cb['chargeback_id']}/{n}")
                ),
                "event_type": kind,
                "chargeback_id": cb["chargeback_id"],
                "occurred_at": at.astimezone(offset).isoformat(),
                "schema_version": version,
                "payload": body,
            }
        )
        at += dt.timedelta(hours=rng.randrange(1, 72))
    return events


def event_logs(
    records: list[dict], seed: int = 7, v1_before: dt.date | None = None
) -> dict[str, str]:
    """Warehouse key -> JSON-lines text: each event in the file of its UTC day
    (`bronze/event_logs/YYYY/MM/DD/events.jsonl`), in occurrence order."""
    rng = random.Random(seed)
    first = min(dt.date.fromisoformat(r["partition_date"]) for r in records)
    v1_before = v1_before or first + dt.timedelta(days=2)
    by_day: dict[dt.date, list[tuple[dt.datetime, str]]] = {}
    for cb in records:
        for event in lifecycle(cb, rng, v1_before):
            at = dt.datetime.fromisoformat(event["occurred_at"])
            day = at.astimezone(dt.UTC).date()
            by_day.setdefault(day, []).append((at, json.dumps(event)))
    return {
        f"bronze/event_logs/{day:%Y/%m/%d}/events.jsonl": "".join(
            line + "\n" for _, line in sorted(lines)
        )
        for day, lines in sorted(by_day.items())
    }


def consolidation_events(
    start: dt.date, end: dt.date, executions: int = 1, counts: dict | None = None
) -> list[dict]:
    """What the consolidation Glue job publishes: one message per partition date
    and execution, execution_sequence 1..executions."""
    messages = []
    for day in days(start, end):
        for seq in range(1, executions + 1):
            done = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(2, seq))
            messages.append(
                {
                    "event_type": "consolidation_completed",
                    "partition_date": day.isoformat(),
                    "execution_sequence": seq,
                    "total_executions": executions,
                    "records_processed": (counts or {}).get(day.isoformat(), 0),
                    "duplicates_removed": 0,
                    "output_files": 1,
                    "output_format": "parquet",
                    "output_path": f"s3://consolidated/chargebacks/{day}/run-{seq}/",
                    "execution_time": 42.5,
                    "completed_at": done.replace(tzinfo=dt.UTC).isoformat(),
                    "job_name": "chargebacks-consolidation",
                }
            )
    return messages


def write(
    wh: Warehouse,
    store: ChargebackStore,
    start: dt.date,
    end: dt.date,
    per_day: int,
    seed: int = 7,
    executions: int = 1,
) -> dict[str, Any]:
    """Everything at once: the records into the store, their event logs under
    bronze/event_logs/, and the consolidation messages (one per day and execution)
    as bronze/consolidation/messages.json. Same arguments, same bytes; a file
    already there is left as it is."""
    records = chargebacks(start, end, per_day, seed)
    store.put(records)
    counts: dict[str, int] = {}
    for r in records:
        counts[r["partition_date"]] = counts.get(r["partition_date"], 0) + 1
    files = event_logs(records, seed)
    messages = consolidation_events(start, end, executions, counts)
    files["bronze/consolidation/messages.json"] = json.dumps(messages, indent=1)
    written = 0
    for key, text in files.items():
        try:
            wh.put_if_absent(key, text.encode())
            written += 1
        except FileExistsError:
            pass
    return {
        "chargebacks": len(records),
        "event_log_files": len(files) - 1,
        "events": sum(t.count("\n") for k, t in files.items() if k.endswith(".jsonl")),
        "consolidation_messages": len(messages),
        "files_written": written,
    }
