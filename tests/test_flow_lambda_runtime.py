"""runtime="lambda": tasks invoke the deployed functions through prefect-aws's
LambdaFunction (here: the Pants-built zips behind a local Invoke endpoint)."""

from __future__ import annotations

import time

import pytest
from prefect.testing.utilities import prefect_test_harness

from common.congress import demo_data
from common.congress.tables import DIMENSIONS
from common.errors import InvalidEvent
from common.jobs import run_job
from common.storage import Warehouse
from flows import lambda_runtime
from flows.lambda_runtime import LambdaFunctionError
from tests.aws_server import CREDENTIALS
from tests.congress_pipeline import snapshot
from tests.lambda_endpoint import lambda_endpoint


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


GOLD = [  # the pipeline's jobs but dim_members (build_members=False)
    "ingest_house_ptr",  # no new files in bronze/: each ingests nothing
    "ingest_senate_ptr",
    "build_dim_assets",
    "build_dim_dates",
    "build_fact_transactions",
    "compute_trending_stocks",
]


@pytest.fixture
def endpoint(warehouse, tmp_path, monkeypatch):
    env = {"WAREHOUSE_URI": warehouse.root}
    with lambda_endpoint(str(tmp_path / "code"), env, prefix="data-platform") as ep:
        for k, v in CREDENTIALS.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", ep.url)
        monkeypatch.setenv("LAMBDA_FUNCTION_PREFIX", "data-platform")
        yield ep


@pytest.fixture
def in_process(monkeypatch):
    """The jobs this process runs itself (flows.tasks' own call of run_job)."""
    from flows import tasks

    ran: list[str] = []

    def recording(job, event, *args, **kwargs):
        ran.append(job.name)
        return run_job(job, event, *args, **kwargs)

    monkeypatch.setattr(tasks, "run_job", recording)
    return ran


def test_flow_on_lambda_equals_local_run(
    warehouse, endpoint, in_process, tmp_path, monkeypatch
):
    from flows.congress_gold import congress_gold

    demo_data.generate(warehouse, rows=2_000, members=20, assets=80, seed=21)
    on_lambda = congress_gold(rebuild=True, build_members=False, runtime="lambda")
    assert in_process == []
    assert sorted(job for job, _ in endpoint.calls) == sorted(GOLD)
    assert dict(endpoint.calls)["build_fact_transactions"] == {"rebuild": True}

    local_wh = Warehouse(str(tmp_path / "local"))
    demo_data.generate(local_wh, rows=2_000, members=20, assets=80, seed=21)
    monkeypatch.setenv("WAREHOUSE_URI", local_wh.root)  # local tasks write here
    monkeypatch.setenv("SOURCE_ROOTS", local_wh.uri("bronze"))
    local = congress_gold(rebuild=True, build_members=False)
    assert sorted(in_process) == sorted(GOLD) and len(endpoint.calls) == len(GOLD)

    assert on_lambda == local
    mine, theirs = snapshot(warehouse), snapshot(local_wh)
    for table in mine:
        assert mine[table].equals(theirs[table]), table


def test_mixed_runtimes_per_task(warehouse, endpoint, in_process):
    from flows.congress_gold import congress_gold

    demo_data.generate(warehouse, rows=500, members=10, assets=30, seed=22)
    result = congress_gold(
        rebuild=True, build_members=False, lambda_jobs=["build_fact_transactions"]
    )
    assert result["build_fact_transactions"]["transactions_processed"] > 0
    assert [job for job, _ in endpoint.calls] == ["build_fact_transactions"]
    assert sorted(in_process) == sorted(set(GOLD) - {"build_fact_transactions"})


def test_400_surfaces_as_invalid_event_naming_the_field(
    warehouse, endpoint, in_process
):
    from flows.congress_gold import build_fact_transactions

    demo_data.generate(warehouse, rows=200, members=5, assets=10, seed=23)
    with pytest.raises(InvalidEvent) as err:
        build_fact_transactions.fn({"since_date": "not-a-date"}, runtime="lambda")
    assert err.value.field == "since_date"
    assert endpoint.calls == [("build_fact_transactions", {"since_date": "not-a-date"})]
    assert in_process == []


def test_function_error_surfaces_with_its_type(warehouse, endpoint, in_process):
    from flows.congress_gold import build_fact_transactions

    demo_data.generate(warehouse, rows=200, members=5, assets=10, seed=24)
    warehouse.delete([DIMENSIONS["dim_dates"]])
    with pytest.raises(
        LambdaFunctionError, match="MissingTable: Dimension table dim_dates"
    ):
        build_fact_transactions.fn({"rebuild": True}, runtime="lambda")
    assert endpoint.calls == [("build_fact_transactions", {"rebuild": True})]
    assert in_process == []


def test_a_slow_job_is_invoked_exactly_once(warehouse, endpoint, monkeypatch):
    """The Invoke's read timeout outlasts the function and botocore never retries it:
    a timed-out read does not start the job a second time while it still runs."""
    from botocore.exceptions import ReadTimeoutError

    from flows.congress_gold import build_dim_dates

    demo_data.generate(warehouse, rows=200, members=5, assets=10, seed=25)
    monkeypatch.setattr(lambda_runtime, "READ_TIMEOUT_SECONDS", 1)  # made tiny here
    endpoint.delay_seconds = 4  # the function runs longer than that
    with pytest.raises(ReadTimeoutError):
        build_dim_dates.fn({}, runtime="lambda")
    time.sleep(6)  # botocore would have retried by now
    assert endpoint.calls == [("build_dim_dates", {})]
