"""The Totesys OLTP source tables and where their packets live."""

from __future__ import annotations

import re

# table -> primary key, exactly the tables of the Totesys dump
SOURCES = {
    "sales_order": "sales_order_id",
    "staff": "staff_id",
    "department": "department_id",
    "address": "address_id",
    "counterparty": "counterparty_id",
    "currency": "currency_id",
    "design": "design_id",
    "payment_type": "payment_type_id",
    "purchase_order": "purchase_order_id",
    "transaction": "transaction_id",
    "payment": "payment_id",
}
PACKET = re.compile(r"^(?P<table>[a-z_]+)/(?P=table)_packet_(?P<id>\d+)\.jsonl$")


def packet_key(table: str, packet_id: int) -> str:
    return f"{table}/{table}_packet_{packet_id}.jsonl"


def state_key(table: str) -> str:
    """Latest known rows of a source table: job state, not an analysts' table."""
    return f"_state/totesys/sources/{table}.parquet"
