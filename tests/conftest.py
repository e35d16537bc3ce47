from __future__ import annotations

import os

import pytest

from common.storage import Warehouse

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "DataPlatformTests")


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    """An empty local warehouse selected through the environment, as in production."""
    root = tmp_path / "warehouse"
    monkeypatch.setenv("WAREHOUSE_URI", str(root))
    monkeypatch.delenv("STATE_TABLE", raising=False)
    return Warehouse(str(root))
