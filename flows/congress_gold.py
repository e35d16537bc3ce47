"""The Congress gold flow: ingest (House, Senate) -> dimensions (concurrently) ->
fact -> trending."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.orchestration import get_client

from common import pipelines
from common.congress import build_dim_assets as build_dim_assets_job
from common.congress import build_dim_dates as build_dim_dates_job
from common.congress import build_dim_members as build_dim_members_job
from common.congress import build_fact_transactions as fact_job
from common.congress import compute_trending_stocks as compute_trending_stocks_job
from common.congress import ingest_house_ptr as ingest_job
from common.congress import ingest_senate_ptr as senate_job
from common.congress import trending_stocks
from common.congress.tables import trending_key
from common.jobs import JobContext
from common.observability import logger
from flows.tasks import FLOW_TIMEOUT_SECONDS, Runtime, job_task, run_stages

ingest_house_ptr = job_task(ingest_job.JOB)
ingest_senate_ptr = job_task(senate_job.JOB)
build_dim_members = job_task(build_dim_members_job.JOB)
build_dim_assets = job_task(build_dim_assets_job.JOB)
build_dim_dates = job_task(build_dim_dates_job.JOB)
build_fact_transactions = job_task(fact_job.JOB)
compute_trending_stocks = job_task(compute_trending_stocks_job.JOB)
TASKS = {
    t.name: t
    for t in (
        ingest_house_ptr,
        ingest_senate_ptr,
        build_dim_members,
        build_dim_assets,
        build_dim_dates,
        build_fact_transactions,
        compute_trending_stocks,
    )
}


def summary_markdown(
    results: dict[str, dict[str, Any]], seconds: dict[str, float]
) -> str:
    cols = [
        "rows_in",
        "rows_out",
        "silver_rows",
        "transactions_processed",
        "files_written",
        "files_deleted",
        "quarantined",
    ]
    lines = [
        "| job | " + " | ".join(cols) + " | seconds |",
        "|---" * (len(cols) + 2) + "|",
    ]
    for job, summary in results.items():
        cells = " | ".join(str(summary.get(c, "")) for c in cols)
        lines.append(f"| {job} | {cells} | {seconds.get(job, 0):.1f} |")
    total = sum(int(s.get("quarantined", 0)) for s in results.values())
    return "\n".join(lines) + f"\n\nQuarantined rows in this run: **{total}**"


@flow(name=pipelines.CONGRESS.name, timeout_seconds=FLOW_TIMEOUT_SECONDS)
def congress_gold(
    rebuild: bool = False,
    since_date: dt.date | None = None,
    source_uri: str | None = None,
    senate_source_uri: str | None = None,
    legislators_current_uri: str | None = None,
    legislators_historical_uri: str | None = None,
    build_members: bool = True,
    as_of_date: dt.date | None = None,
    runtime: Runtime = "local",
    lambda_jobs: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The job graph of common/pipelines.py (CONGRESS), as its state machine runs it.
    `source_uri`: a House PTR JSON file to ingest, `senate_source_uri` a Senate
    daily report (or a prefix of them); neither: each ingest job takes every file
    under its bronze/ folder (house/, senate/) that the ledger has not seen (in this
    version). Legislator URIs default to the warehouse's bronze/legislators/ files.
    `runtime`: where every job runs (this process, or its deployed Lambda);
    `lambda_jobs`: jobs to run on Lambda even when `runtime` is local."""
    sources = {
        k: v
        for k, v in {
            "legislators_current_uri": legislators_current_uri,
            "legislators_historical_uri": legislators_historical_uri,
        }.items()
        if v
    }
    given = source_uri or senate_source_uri
    fact: dict[str, Any] = {"rebuild": rebuild}
    if since_date:
        fact["since_date"] = since_date.isoformat()
    events: dict[str, dict[str, Any] | None] = {
        "ingest_house_ptr": ingest_event(source_uri, given, sources),
        "ingest_senate_ptr": ingest_event(senate_source_uri, given, sources),
        "build_dim_members": sources if build_members else None,
        "build_fact_transactions": fact,
        "compute_trending_stocks": (
            {"as_of_date": as_of_date.isoformat()} if as_of_date else {}
        ),
    }

    def where(job: str) -> Runtime:
        on_lambda = runtime == "lambda" or job in (lambda_jobs or [])
        return "lambda" if on_lambda else "local"

    futures = run_stages(pipelines.CONGRESS, TASKS, events, where)
    results = {job: future.result() for job, future in futures.items()}
    create_markdown_artifact(
        key="congress-gold-summary",
        markdown=summary_markdown(results, run_seconds(futures)),
        description="Rows, files, quarantined rows and duration per job",
    )
    publish_top_movers(results["compute_trending_stocks"]["as_of_date"])
    return results


def ingest_event(
    uri: str | None, given: str | None, sources: dict[str, str]
) -> dict[str, Any] | None:
    """The file named, or (none named at all) every new file: {}; None skips the job
    when only the other chamber's file was named."""
    if uri:
        return {"source_uri": uri, **sources}
    return None if given else dict(sources)


def run_seconds(futures: dict[str, Any]) -> dict[str, float]:
    """Each task's run time, as Prefect recorded it."""
    with get_client(sync_client=True) as client:
        return {
            table: client.read_task_run(
                future.task_run_id
            ).total_run_time.total_seconds()
            for table, future in futures.items()
        }


def publish_top_movers(as_of: str) -> None:
    wh = JobContext.from_env().warehouse
    try:
        trending = pl.read_parquet(wh.uri(trending_key(as_of)))
        movers = trending_stocks.top_movers(trending)
    except (OSError, pl.exceptions.PolarsError) as exc:  # a report, not the pipeline
        logger.warning("top movers not published", extra={"error": str(exc)})
        return
    create_table_artifact(
        key="congress-top-movers",
        table=movers.with_columns(pl.col("net_volume").round(0)).to_dicts(),
        description=f"Top movers by net volume per window, as of {as_of}",
    )
