"""Writer leases that cannot lapse under a running writer, fenced commits, recovery
from a killed writer with no operator, and no debris readers would read."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import cast

import polars as pl
import pytest

from common.congress import demo_data
from common.congress.build_fact_transactions import JOB, STATE_KEY
from common.errors import LeaseHeld, LeaseLost
from common.jobs import JobContext, run_job
from common.state import DynamoStateStore, StateStore
from common.storage import TEMP, Warehouse
from tests.aws_server import create_state_table, moto_server
from tests.fact_reader import fact_files
from tests.silver_versions import new_versions, silver
from tests.snapshots import objects


@pytest.fixture
def demo(warehouse):
    demo_data.generate(warehouse, rows=3_000, members=40, assets=200, seed=13)
    return warehouse



def python(script: str, env: dict[str, str]) -> subprocess.Popen:
    """A job in a process of its own, so a pause (SIGSTOP) or a kill is real."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(proc: subprocess.Popen, marker: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(marker):
            return
    raise AssertionError(f"process ended before {marker!r} (rc={proc.wait()})")


PAUSED_FACT_WRITER = """
    import os, signal
    from common.congress import build_fact_transactions as bft, fact_rebuild
    from common.jobs import run_job
    planned = fact_rebuild.by_file  # a group's files, validated, about to be written
    def plan_then_freeze(*args, **kwargs):
        out = planned(*args, **kwargs)
        print("PAUSED", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)  # the whole process, heartbeat included
        return out
    fact_rebuild.by_file = plan_then_freeze
    try:
        run_job(bft.JOB, {"rebuild": True})
        print("RESULT ok", flush=True)
    except Exception as exc:
        print("RESULT", type(exc).__name__, exc, flush=True)
"""


def test_writer_paused_past_its_lease_stops_and_changes_nothing(demo):
    run_job(JOB, {"rebuild": True})
    first = python(PAUSED_FACT_WRITER, {"LEASE_SECONDS": "2"})
    try:
        wait_for(first, "PAUSED")  # holds the lease, about to write, frozen
        with pytest.raises(LeaseHeld):
            run_job(JOB, {"rebuild": True})  # its lease is still good
        time.sleep(2.5)  # ... until it lapses: nobody renewed it
        newest = cast(dt.datetime, silver(demo)["silver_ingest_ts"].max())
        later = newest + dt.timedelta(days=1)
        demo_data.append_silver(
            demo, new_versions(demo, 5, shift_days=40, ts=later), "second-writer"
        )
        run_job(JOB, {"rebuild": True})  # the second writer runs to completion
        after_second = objects(demo)
        state = JobContext.from_env().state.get(STATE_KEY)
    finally:
        first.send_signal(signal.SIGCONT)
    out = first.communicate(timeout=120)[0]
    assert "RESULT LeaseLost" in out, out
    assert "lost (now held by" in out or "lost (expired)" in out, out
    assert objects(demo) == after_second  # the resumed writer changed nothing
    assert JobContext.from_env().state.get(STATE_KEY) == state


KILLED_WRITER = """
    import os, signal
    from common.jobs import JobContext
    ctx = JobContext.from_env()
    with ctx.state.lease("build_fact_transactions", 120):
        print("HOLDING", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_local_writer_blocks_nothing(demo):
    proc = python(KILLED_WRITER, {})
    wait_for(proc, "HOLDING")
    assert proc.wait(timeout=60) == -signal.SIGKILL
    lease = JobContext.from_env().state.get("leases/build_fact_transactions")
    assert lease and lease["expires_at"] > time.time() + 60  # still on file, unexpired
    assert run_job(JOB, {"rebuild": True})["transactions_processed"] > 0


def test_heartbeat_keeps_a_long_writer_s_lease(warehouse):
    ctx = JobContext.from_env()
    with ctx.state.lease("t", 2) as fence:
        for _ in range(3):  # three lease lengths
            time.sleep(2)
            with pytest.raises(LeaseHeld):
                with ctx.state.lease("t", 2):
                    pass
        ctx.state.put("k", {"v": 1}, fence=fence)
    assert ctx.state.get("k") == {"v": 1}


def stores(request, warehouse):
    """The local store, or DynamoDB on moto's server."""
    if request.param == "local":
        yield JobContext.from_env().state
        return
    with moto_server():
        create_state_table("leases")
        yield DynamoStateStore("leases")


store = pytest.fixture(params=["local", "dynamodb"])(stores)


def test_commits_are_fenced_by_the_lease_token(store, warehouse, monkeypatch):
    # A paused writer: no heartbeat renews its lease.
    monkeypatch.setattr(StateStore, "_heartbeat", lambda *args: None)
    ctx = JobContext.from_env()
    with store.lease("t", 1) as stale:
        store.put("k", {"watermark": "old"}, fence=stale)
        time.sleep(1.2)
        with store.lease("t", 60) as current:
            with pytest.raises(LeaseLost, match="now held by"):
                store.put("k", {"watermark": "stale"}, fence=stale)
            with pytest.raises(LeaseLost):
                store.check(stale)
            store.check(current)
            store.put("k", {"watermark": "new"}, fence=current)
            paused = JobContext(warehouse, store, ctx.settings, fence=stale)
            warehouse.write_parquet(pl.DataFrame({"x": [1]}), "gold/t/a.parquet")
            with pytest.raises(LeaseLost):
                paused.delete(["gold/t/a.parquet"])
    assert store.get("k") == {"watermark": "new"}
    assert warehouse.exists("gold/t/a.parquet")


CRASH_BEFORE_RENAME = """
    import os, signal
    import common.storage
    from common.congress.build_fact_transactions import JOB
    from common.jobs import run_job
    def killed(*args):
        os.kill(os.getpid(), signal.SIGKILL)  # the temp file is written, not renamed
    common.storage.obstore.rename = killed
    run_job(JOB, {"rebuild": True})
"""


def test_a_crash_mid_write_leaves_only_hidden_debris_and_the_rerun_sweeps_it(
    demo, tmp_path, monkeypatch
):
    proc = python(CRASH_BEFORE_RENAME, {})
    assert proc.wait(timeout=300) == -signal.SIGKILL
    debris = [
        os.path.join(d, f)
        for d, _, files in os.walk(demo.root)
        for f in files
        if f.endswith(".tmp")
    ]
    assert debris and all(TEMP.match(os.path.basename(p)) for p in debris)
    assert fact_files(demo) == {}  # readers see nothing half-written
    run_job(JOB, {"rebuild": True})  # no lease to clear, no file to remove by hand
    assert not [f for _, _, fs in os.walk(demo.root) for f in fs if f.endswith(".tmp")]

    # the oracle: the same silver built once, with no crash
    clean = Warehouse(str(tmp_path / "clean"))
    demo_data.generate(clean, rows=3_000, members=40, assets=200, seed=13)
    monkeypatch.setenv("WAREHOUSE_URI", clean.root)
    run_job(JOB, {"rebuild": True})
    assert fact_files(demo) == fact_files(clean)
