"""The pipelines' state machines: generated from common/pipelines.py (as the Prefect
flows run it), committed as generated, and run on a real ASL engine against the
Pants-built zips, where they build the same warehouse as the Prefect flow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.testing.utilities import prefect_test_harness

from common import pipelines
from common.storage import Warehouse
from tests.congress_pipeline import snapshot
from tests.lambda_endpoint import lambda_endpoint
from tests.shared_data import BUILDROOT, congress_sources, shared_file
from tests.step_functions import ALERTS_TOPIC, execute

COMMITTED = Path(BUILDROOT, "terraform", "pipelines")


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_committed_definitions_are_the_generated_ones():
    """Regenerate with `./pants run flows/cli.py -- pipelines`; never edit by hand."""
    generated = pipelines.rendered()
    assert sorted(p.name for p in COMMITTED.glob("*.json")) == sorted(generated)
    for name, text in generated.items():
        assert (COMMITTED / name).read_text() == text, name


def walk(asl: dict[str, Any]) -> list[dict[str, Any]]:
    """The top-level states in execution order, following Next from StartAt."""
    order, name = [], asl["StartAt"]
    while name:
        state = asl["States"][name]
        order.append(state)
        name = state.get("Next")
    return order


@pytest.mark.parametrize("pipeline", pipelines.PIPELINES.values(), ids=lambda p: p.name)
def test_state_machine_has_the_flow_graph(pipeline):
    """Stages in order, a stage's jobs in parallel, each job's Lambda retried only on
    transient errors, any failure alerted then failed; and the flow runs these jobs."""
    from flows.congress_gold import TASKS

    asl = json.loads((COMMITTED / f"{pipeline.name}.asl.json").read_text())
    stages = walk(asl)
    assert [s["Type"] for s in stages] == ["Parallel"] * len(pipeline.stages)
    for state, jobs in zip(stages, pipeline.stages, strict=True):
        tasks = [b["States"][b["StartAt"]] for b in state["Branches"]]
        assert [t["Resource"] for t in tasks] == [f"${{functions.{j}}}" for j in jobs]
        for task in tasks:
            (retry,) = task["Retry"]
            assert "States.ALL" not in retry["ErrorEquals"]
            assert "TransientError" in retry["ErrorEquals"]
            delays = [
                retry["IntervalSeconds"] * retry["BackoffRate"] ** i
                for i in range(retry["MaxAttempts"])
            ]
            from flows.tasks import RETRY_DELAYS

            assert delays == RETRY_DELAYS  # Prefect's policy, to the second
        assert state["ResultPath"] is None  # the next stage gets the run's input
        (catch,) = state["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "alert"
    alert = asl["States"]["alert"]
    assert alert["Resource"] == "arn:aws:states:::sns:publish"
    assert asl["States"][alert["Next"]]["Type"] == "Fail"
    if pipeline is pipelines.CONGRESS:
        assert set(TASKS) == set(pipeline.jobs)


def bronze(wh: Warehouse) -> None:
    """A House file, two Senate reports and the legislators, dropped in bronze/."""
    root = Path(wh.root, "bronze")
    (root / "house").mkdir(parents=True)
    (root / "senate").mkdir()
    (root / "legislators").mkdir()
    source = Path(shared_file("congress", "house_all_transactions.json"))
    house = json.loads(source.read_text())
    (root / "house" / "2024.json").write_text(json.dumps(house[:2000]))
    reports = sorted(Path(shared_file("congress", "senate_daily")).glob("*.json"))
    for report in reports[:40]:
        shutil.copy(report, root / "senate" / report.name)
    for field, name in [
        ("legislators_current_uri", "legislators-current.yaml"),
        ("legislators_historical_uri", "legislators-historical.csv"),
    ]:
        shutil.copy(congress_sources()[field], root / "legislators" / name)


def test_state_machine_builds_what_the_flow_builds(tmp_path, monkeypatch):
    from flows.congress_gold import congress_gold

    flow_wh = Warehouse(str(tmp_path / "flow"))
    sfn_wh = Warehouse(str(tmp_path / "sfn"))
    for wh in (flow_wh, sfn_wh):
        bronze(wh)
    monkeypatch.setenv("WAREHOUSE_URI", flow_wh.root)
    monkeypatch.setenv("SOURCE_ROOTS", flow_wh.uri("bronze"))
    state = congress_gold(return_state=True)
    flow = state.result()
    assert_ran_in_stages(state.state_details.flow_run_id, pipelines.CONGRESS)

    run = json.loads((COMMITTED / "congress-gold.daily-incremental.json").read_text())
    asl = json.loads((COMMITTED / "congress-gold.asl.json").read_text())
    env = {"WAREHOUSE_URI": sfn_wh.root, "SOURCE_ROOTS": sfn_wh.uri("bronze")}
    with lambda_endpoint(str(tmp_path / "code"), env, prefix="dp") as endpoint:
        done = execute(asl, run["input"], endpoint.url, "dp", tmp_path / "sfn-run")
    assert done.succeeded, done.output
    assert not done.alerts
    assert sorted(job for job, _ in endpoint.calls) == sorted(pipelines.CONGRESS.jobs)
    assert flow["ingest_senate_ptr"]["files_in"] == 40
    mine, theirs = snapshot(flow_wh), snapshot(sfn_wh)
    assert set(mine) == set(theirs)
    for table in mine:
        assert mine[table].equals(theirs[table]), table


def assert_ran_in_stages(flow_run_id: Any, pipeline: pipelines.Pipeline) -> None:
    """The flow's task runs, as Prefect recorded them: every job of a stage started
    after every job of the stage before had ended."""
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    by_job = {run.name: run for run in runs}  # task runs are named after their job
    spans = {}
    for job in pipeline.jobs:
        start, end = by_job[job].start_time, by_job[job].end_time
        assert start and end, job  # it ran, and finished
        spans[job] = (start, end)
    for before, after in zip(pipeline.stages, pipeline.stages[1:], strict=False):
        ended = max(spans[job][1] for job in before)
        started = min(spans[job][0] for job in after)
        assert ended <= started, (before, after)


def test_a_failing_job_alerts_and_fails_without_retrying(tmp_path):
    """An empty warehouse: ingest finds nothing (200), the dimensions find no
    legislators or silver (MissingTable: not transient, so not retried); the alert
    carries the error and the run's input; later stages never run. A 400 fails the
    run the same way."""
    wh = Warehouse(str(tmp_path / "wh"))
    asl = json.loads((COMMITTED / "congress-gold.asl.json").read_text())
    env = {"WAREHOUSE_URI": wh.root, "SOURCE_ROOTS": wh.uri("bronze")}
    with lambda_endpoint(str(tmp_path / "code"), env, prefix="dp") as endpoint:
        state_input = pipelines.CONGRESS.state_input({})
        failed = execute(asl, state_input, endpoint.url, "dp", tmp_path / "a")
        called = [job for job, _ in endpoint.calls]
        rejected = pipelines.CONGRESS.state_input(
            {"ingest_house_ptr": {"source_uri": 7}}
        )
        refused = execute(asl, rejected, endpoint.url, "dp", tmp_path / "b")
    assert not failed.succeeded
    (published,) = failed.alerts
    assert published["TopicArn"] == ALERTS_TOPIC
    alert = json.loads(published["Message"])
    assert alert["error"]["Error"] == "MissingTable"
    assert alert["events"] == state_input["events"]  # the run's input, to replay
    assert called.count("build_dim_members") == 1  # not retried
    assert "build_fact_transactions" not in called
    assert not refused.succeeded
    (published,) = refused.alerts
    assert json.loads(published["Message"])["error"]["Error"] == "InvalidEvent"
