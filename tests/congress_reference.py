"""A straightforward, row-by-row recomputation of the fact build, for property tests."""

from __future__ import annotations

import datetime as dt
from typing import Any


def expected_facts(
    silver: list[dict[str, Any]],
    members: list[dict[str, Any]],
    assets: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """transaction_id -> the fact row's columns (keys excluded)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in silver:
        tid = f"{row['doc_id']}-{row['txn_index']:03d}"
        if (
            tid not in latest
            or row["silver_ingest_ts"] > latest[tid]["silver_ingest_ts"]
        ):
            latest[tid] = row
    asset_keys = {a["asset_name"]: a["asset_key"] for a in assets}
    out = {}
    for tid, row in latest.items():
        member_key = -1
        for m in members:
            if (
                m["bioguide_id"] == row["bioguide_id"]
                and m["valid_from"] <= row["transaction_date"] <= m["valid_to"]
            ):
                member_key = m["member_key"]
        low, high = row["amount_low"], row["amount_high"]
        td: dt.date = row["transaction_date"]
        out[tid] = {
            "member_key": member_key,
            "asset_key": asset_keys.get(row["asset_name"], -1),
            "transaction_date_key": td.year * 10000 + td.month * 100 + td.day,
            "amount_midpoint": None if high is None else (low + high) / 2,
            "days_to_notification": (row["notification_date"] - td).days,
            "transaction_type": row["transaction_type"],
            "partition": (td.year, td.month),
        }
    return out
