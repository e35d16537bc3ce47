"""The chargebacks tenant's tables, one Pandera model each."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from common.chargebacks.events import EVENT_TYPES, OUTCOMES, STATUSES


class Events(pa.DataFrameModel):
    """gold/chargebacks/events/date=<UTC date of occurred_at>/: each event once."""

    event_id: pl.String = pa.Field(unique=True)
    event_type: pl.String = pa.Field(isin=EVENT_TYPES)
    chargeback_id: pl.String
    occurred_at: pl.Datetime("us", "UTC")  # type: ignore[valid-type]
    date: pl.Date
    source_schema_version: pl.Int8 = pa.Field(isin=[1, 2])
    amount_cents: pl.Int64 = pa.Field(nullable=True, ge=0)
    currency: pl.String = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")
    merchant_id: pl.String = pa.Field(nullable=True)
    reason_code: pl.String = pa.Field(nullable=True)
    network: pl.String = pa.Field(nullable=True)
    evidence_type: pl.String = pa.Field(nullable=True)
    status: pl.String = pa.Field(nullable=True, isin=STATUSES)
    outcome: pl.String = pa.Field(nullable=True, isin=OUTCOMES)

    class Config:
        strict = True
        coerce = True


class Checkpoint(pa.DataFrameModel):
    """gold/chargebacks/checkpoint/checkpoint.parquet: each chargeback's state after
    its events in occurred_at order (ties: event_id)."""

    chargeback_id: pl.String = pa.Field(unique=True)
    created_at: pl.Datetime("us", "UTC") = pa.Field(nullable=True)  # type: ignore[valid-type]
    merchant_id: pl.String = pa.Field(nullable=True)
    currency: pl.String = pa.Field(nullable=True)
    reason_code: pl.String = pa.Field(nullable=True)
    network: pl.String = pa.Field(nullable=True)
    amount_cents: pl.Int64 = pa.Field(nullable=True, ge=0)
    status: pl.String = pa.Field(nullable=True, isin=STATUSES)
    outcome: pl.String = pa.Field(nullable=True, isin=OUTCOMES)
    evidence_count: pl.UInt32
    events_applied: pl.UInt32 = pa.Field(ge=1)
    last_event_id: pl.String
    last_event_at: pl.Datetime("us", "UTC")  # type: ignore[valid-type]

    class Config:
        strict = True
        coerce = True


class RejectedLines(pa.DataFrameModel):
    """quarantine/chargeback_events/: a line no event model accepts, and why."""

    source_uri: pl.String
    line_number: pl.Int64 = pa.Field(ge=1)
    reason: pl.String
    line: pl.String

    class Config:
        strict = True
        coerce = True
