"""The checkpoint transform: each chargeback's state after its events, in Polars."""

from __future__ import annotations

import polars as pl

ATTRIBUTES = ("merchant_id", "currency", "reason_code", "network", "amount_cents")


def checkpoint(events: pl.DataFrame) -> pl.DataFrame:
    """One row per chargeback: every attribute as its latest event set it, applying
    events in occurred_at order, ties broken by event_id."""
    kind = pl.col("event_type")
    state = (
        pl.when(kind == "chargeback_created")
        .then(pl.lit("open"))
        .when(kind == "status_changed")
        .then(pl.col("status"))
        .when(kind == "closed")
        .then(pl.lit("closed"))
    )
    created = kind == "chargeback_created"
    return (
        events.sort("chargeback_id", "occurred_at", "event_id")
        .with_columns(state=state)
        .group_by("chargeback_id", maintain_order=True)
        .agg(
            pl.col("occurred_at").filter(created).last().alias("created_at"),
            *(pl.col(c).drop_nulls().last() for c in ATTRIBUTES),
            pl.col("state").drop_nulls().last().alias("status"),
            pl.col("outcome").drop_nulls().last(),
            (kind == "evidence_submitted")
            .sum()
            .cast(pl.UInt32)
            .alias("evidence_count"),
            pl.len().alias("events_applied"),
            pl.col("event_id").last().alias("last_event_id"),
            pl.col("occurred_at").last().alias("last_event_at"),
        )
    )
