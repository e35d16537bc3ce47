"""prefect.yaml for real: a local Prefect server on 127.0.0.1, a process work pool,
`prefect deploy --all`, a worker, one `prefect deployment run`, outputs checked;
everything started here is stopped here."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from common.chargebacks import generate
from common.chargebacks.store import chargeback_store
from common.congress import demo_data
from common.storage import Warehouse
from tests.aws_server import free_port
from tests.fact_reader import read_fact
from tests.test_update_consolidation import stamped

REPO = os.getcwd()  # Pants runs tests from the sandbox root; pytest from the repo


def prefect(*args: str, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def worker_pex() -> str:
    """The worker as `./pants package flows:worker` builds it (a runtime package of
    this test under Pants; dist/ after a manual package)."""
    for path in ("flows/worker.pex", "dist/flows/worker.pex"):
        if os.path.exists(path):
            return os.path.abspath(path)
    pytest.skip("no flows/worker.pex: run under `./pants test` or package it first")


@contextmanager
def background(
    args: list[str], env: dict[str, str], log: str, command: list[str] | None = None
) -> Iterator[None]:
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "prefect"]), *args],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# The local server shares 2 cores with the worker's flow runs and, in CI, other tests:
# a single request may wait well past a quiet machine's milliseconds.
REQUEST_TIMEOUT_S = 30


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as response:
        return json.load(response)


TERMINAL = ("COMPLETED", "FAILED", "CRASHED")
DAY = dt.date(2024, 3, 1)


def post(url: str, body: Any) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
        text = response.read()
    return json.loads(text) if text else None


def consolidation_completed(message: dict[str, Any]) -> dict[str, Any]:
    """What the consolidation Glue job posts to Prefect when it finishes."""
    return {
        "id": str(uuid.uuid4()),
        "occurred": dt.datetime.now(dt.UTC).isoformat(),
        "event": "consolidation.completed",
        "resource": {"prefect.resource.id": f"glue.job.{message['job_name']}"},
        "payload": {"events": [message]},
    }


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        # a poll the busy local server answers late is retried, like one refused
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def env(tmp_path):
    port = free_port()
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path}/prefect.db",
        "DATA_PLATFORM_DIR": REPO,
        "PYTHONPATH": REPO,
        "WAREHOUSE_URI": str(tmp_path / "warehouse"),
    }


def test_deploy_all_and_run_on_a_worker(env, tmp_path):
    api = env["PREFECT_API_URL"]
    wh = Warehouse(env["WAREHOUSE_URI"])
    demo_data.generate(wh, rows=1_000, members=10, assets=40, seed=31)
    store = chargeback_store(wh.root, wh.is_local)
    store.put(generate.chargebacks(DAY, DAY, 5))
    with background(["server", "start"], env, str(tmp_path / "server.log")):
        wait_for(lambda: get(f"{api}/health") is True, 180, "the server")
        pool = prefect(
            "work-pool", "create", "data-platform", "--type", "process", env=env
        )
        assert pool.returncode == 0, pool.stdout + pool.stderr
        deploy = prefect("--no-prompt", "deploy", "--all", env=env)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr

        for name, cron in [
            ("daily-incremental", "0 6 * * *"),
            ("weekly-rebuild", "0 2 * * 0"),
        ]:
            d = get(f"{api}/deployments/name/congress-gold/{name}")
            assert [s["schedule"]["cron"] for s in d["schedules"]] == [cron]
            assert d["work_pool_name"] == "data-platform"

        with background(  # the packaged worker, as docs/deployments.md runs it
            ["worker", "start", "--pool", "data-platform"],
            env,
            str(tmp_path / "worker.log"),
            command=[worker_pex()],
        ):
            run = prefect(
                "deployment",
                "run",
                "congress-gold/weekly-rebuild",
                "--param",
                "build_members=false",
                env=env,
            )
            assert run.returncode == 0, run.stdout + run.stderr
            run_id = re.search(r"flow-run/([0-9a-f-]{36})", run.stdout)
            assert run_id, run.stdout

            def finished():
                state = get(f"{api}/flow_runs/{run_id[1]}")["state"]
                return (
                    state
                    if state["type"] in ("COMPLETED", "FAILED", "CRASHED")
                    else None
                )

            state = wait_for(finished, 300, "the flow run")
            worker_log = (tmp_path / "worker.log").read_text()
            assert state["type"] == "COMPLETED", worker_log[-5000:]

            # the Glue job's event starts the consolidation deployment's run, with
            # the event's message as its one message
            message = generate.consolidation_events(DAY, DAY)[0]
            post(f"{api}/events", [consolidation_completed(message)])

            def triggered():
                runs = post(
                    f"{api}/flow_runs/filter",
                    {"deployments": {"id": {"any_": [triggered_deployment["id"]]}}},
                )
                done = [r for r in runs if r["state"]["type"] in TERMINAL]
                return done[0] if done else None

            triggered_deployment = get(
                f"{api}/deployments/name/consolidation-updates/on-consolidation-completed"
            )
            run = wait_for(triggered, 300, "the triggered flow run")
            worker_log = (tmp_path / "worker.log").read_text()
            assert run["state"]["type"] == "COMPLETED", worker_log[-5000:]
            assert run["parameters"] == {"events": [message]}
    assert all(v["consolidation_execution"] == 1 for v in stamped(store).values())
    fact = read_fact(wh)
    assert fact.height > 0 and fact["transaction_id"].is_unique().all()
    assert wh.keys("gold/aggregates/trending_stocks", ".parquet")


def test_the_worker_pex_holds_nothing_typing_only():
    """What the worker's PEX ships: its distributions, none of them stubs."""
    with zipfile.ZipFile(worker_pex()) as pex:
        wheels = {n.split("/")[1] for n in pex.namelist() if n.startswith(".deps/")}
    names = {w.split("-")[0].lower() for w in wheels}
    assert {"prefect", "polars", "pandera"} <= names
    stubs = ("types_", "mypy_boto3")  # mypy_extensions is a runtime dependency
    typing_only = {n for n in names if n.endswith("_stubs") or n.startswith(stubs)}
    assert not typing_only


def test_serve_builds_the_same_deployments_as_prefect_yaml():
    from flows.deployments import from_prefect_yaml

    deployments = {d.name: d for d in from_prefect_yaml()}
    assert set(deployments) == {
        "daily-incremental",
        "weekly-rebuild",
        "every-30-minutes",
        "hourly-sweep",
        "on-consolidation-completed",
        "redrive",
    }
    (trigger,) = deployments["on-consolidation-completed"].triggers
    assert trigger.expect == {"consolidation.completed"}
    assert deployments["on-consolidation-completed"].schedules == []
    assert deployments["weekly-rebuild"].parameters == {"rebuild": True}
    assert [s.schedule.cron for s in deployments["daily-incremental"].schedules] == [
        "0 6 * * *"
    ]
