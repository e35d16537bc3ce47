"""The Congress gold flow: ingest (House, Senate) -> dimensions (concurrently) ->
fact -> trending."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.orchestration import get_client

from common import ledger
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
from flows.tasks import FLOW_TIMEOUT_SECONDS, Runtime, job_task

ingest_house_ptr = job_task(ingest_job.JOB)
ingest_senate_ptr = job_task(senate_job.JOB)
build_dim_members = job_task(build_dim_members_job.JOB)
build_dim_assets = job_task(build_dim_assets_job.JOB)
build_dim_dates = job_task(build_dim_dates_job.JOB)
build_fact_transactions = job_task(fact_job.JOB)
compute_trending_stocks = job_task(compute_trending_stocks_job.JOB)


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
        "| table | " + " | ".join(cols) + " | seconds |",
        "|---" * (len(cols) + 2) + "|",
    ]
    for table, summary in results.items():
        cells = " | ".join(str(summary.get(c, "")) for c in cols)
        lines.append(f"| {table} | {cells} | {seconds.get(table, 0):.1f} |")
    total = sum(int(s.get("quarantined", 0)) for s in results.values())
    return "\n".join(lines) + f"\n\nQuarantined rows in this run: **{total}**"


@flow(name="congress-gold", timeout_seconds=FLOW_TIMEOUT_SECONDS)
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
    """`source_uri`: a House PTR JSON file to ingest first, `senate_source_uri` a
    Senate daily report (or a prefix of them); neither: every file under the
    warehouse's bronze/house/ and bronze/senate/ that the ledger has not seen (in
    this version) yet.
    Legislator URIs default to the warehouse's bronze/legislators/ files.
    `runtime`: where every job runs (this process, or its deployed Lambda);
    `lambda_jobs`: jobs to run on Lambda even when `runtime` is local."""

    def on(task: Any) -> Runtime:
        return (
            "lambda"
            if runtime == "lambda" or task.name in (lambda_jobs or [])
            else "local"
        )

    sources = {
        k: v
        for k, v in {
            "legislators_current_uri": legislators_current_uri,
            "legislators_historical_uri": legislators_historical_uri,
        }.items()
        if v
    }
    futures = {}
    after_ingest: list[Any] = []
    if source_uri or senate_source_uri:
        given = [
            ("silver_ptr_transactions", ingest_house_ptr, source_uri),
            ("silver_ptr_transactions:senate", ingest_senate_ptr, senate_source_uri),
        ]
        new_files = {name: (task, uri) for name, task, uri in given if uri}
    else:
        new_files = new_sources()
    for table, (task, uri) in new_files.items():  # one after the other: one lease
        futures[table] = task.submit(
            {"source_uri": uri, **sources},
            runtime=on(task),
            wait_for=after_ingest[-1:],
        )
        after_ingest.append(futures[table])
    if build_members:
        futures["dim_members"] = build_dim_members.submit(
            sources, runtime=on(build_dim_members)
        )
    futures["dim_assets"] = build_dim_assets.submit(
        {}, runtime=on(build_dim_assets), wait_for=after_ingest
    )
    futures["dim_dates"] = build_dim_dates.submit(
        {}, runtime=on(build_dim_dates), wait_for=after_ingest
    )
    event: dict[str, Any] = {"rebuild": rebuild}
    if since_date:
        event["since_date"] = since_date.isoformat()
    futures["fact_ptr_transactions"] = build_fact_transactions.submit(
        event, runtime=on(build_fact_transactions), wait_for=list(futures.values())
    )
    trending_event = {"as_of_date": as_of_date.isoformat()} if as_of_date else {}
    futures["trending_stocks"] = compute_trending_stocks.submit(
        trending_event,
        runtime=on(compute_trending_stocks),
        wait_for=[futures["fact_ptr_transactions"]],
    )
    results = {table: future.result() for table, future in futures.items()}
    create_markdown_artifact(
        key="congress-gold-summary",
        markdown=summary_markdown(results, run_seconds(futures)),
        description="Rows, files, quarantined rows and duration per table",
    )
    publish_top_movers(results["trending_stocks"]["as_of_date"])
    return results


def new_sources() -> dict[str, tuple[Any, str]]:
    """Files dropped into bronze/ and not ingested yet: result name -> (ingest
    task, file)."""
    ctx = JobContext.from_env()
    found = {}
    for task, prefix, label in [
        (ingest_house_ptr, ingest_job.BRONZE_HOUSE, ""),
        (ingest_senate_ptr, senate_job.BRONZE_SENATE, "senate/"),
    ]:
        for uri in ledger.pending(ctx, task.name, prefix, ".json"):
            name = f"silver_ptr_transactions:{label}{uri.rsplit('/', 1)[-1]}"
            found[name] = (task, uri)
    return found


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
