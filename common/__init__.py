"""Shared core: storage, state, validation, observability and the table jobs."""
