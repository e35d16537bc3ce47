"""Prefect flows: thin adapters over the table jobs in common/ (the only Prefect code)."""
