from __future__ import annotations

import os

import pytest

from common.storage import Warehouse
from tests.shared_data import SHARED, in_ci

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "DataPlatformTests")


@pytest.fixture(autouse=True)
def source_roots(tmp_path, monkeypatch) -> None:
    """Jobs may read the real files in shared/data and the test warehouse's bronze/
    (set explicitly: by default only a warehouse's own bronze/ is allowed)."""
    roots = [os.path.abspath(SHARED), str(tmp_path / "warehouse" / "bronze")]
    monkeypatch.setenv("SOURCE_ROOTS", ",".join(roots))


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    """An empty local warehouse selected through the environment, as in production."""
    root = tmp_path / "warehouse"
    monkeypatch.setenv("WAREHOUSE_URI", str(root))
    monkeypatch.delenv("STATE_TABLE", raising=False)
    return Warehouse(str(root))


def _fail_skips_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    # In CI a skip is a test that did not run, and it looks green: make it a failure.
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skips_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skips_in_ci(outcome.get_result())
