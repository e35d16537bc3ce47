"""Prefect flows: thin adapters over the jobs in common/ (the only Prefect code)."""
