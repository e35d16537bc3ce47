"""Totesys sales warehouse: OLTP JSON-lines packets -> star schema deltas."""
