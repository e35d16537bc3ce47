"""`platform` CLI: run flows locally, invoke Lambda handlers as Lambda would, make demo
data. Every command has --help.

  ./pants run flows/cli.py -- demo                  # demo warehouse + Congress flow
  ./pants run flows/cli.py -- run congress-gold --rebuild
  ./pants run flows/cli.py -- invoke build_fact_transactions \
      lambda/build_fact_transactions/event.json
  ./pants run flows/cli.py -- serve                 # prefect.yaml's schedules, locally
  ./pants run flows/cli.py -- ui                    # Prefect's UI over these runs
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from common.congress import tables as congress_tables
from common.settings import Settings
from common.storage import Warehouse

# Local runs: Prefect state inside the repo, patience for the ephemeral API's start on
# busy machines, no telemetry from an offline box. Real settings always win.
os.environ.setdefault("PREFECT_HOME", os.path.abspath(".prefect"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console()


class FlowName(str, Enum):
    congress_gold = "congress-gold"
    totesys = "totesys"


def warehouse() -> Warehouse:
    return Warehouse(Settings.from_env().warehouse_uri)


def built_tables(wh: Warehouse) -> Table:
    table = Table(title=f"Warehouse {wh.root}")
    for col in ("table", "objects", "rows"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for prefix in congress_tables.ALL:
        keys = wh.keys(prefix, ".parquet")
        # per object: a folder may hold several layouts (quarantine does)
        rows = sum(wh.scan_parquet([k]).select(pl.len()).collect().item() for k in keys)
        table.add_row(prefix, str(len(keys)), f"{rows:,}")
    return table


def shared_congress(wh: Warehouse) -> dict[str, str] | None:
    """The real public files beside the repo (../shared/data), if present, dropped into
    the warehouse's bronze/ as production does: events may only name files there."""
    folder = Path(os.environ.get("SHARED_DATA", "../shared/data")) / "congress"
    files = {
        "source_uri": ("house_all_transactions.json", "bronze/house/all.json"),
        "legislators_current_uri": (
            "legislators-current.yaml",
            congress_tables.BRONZE_LEGISLATORS_CURRENT,
        ),
        "legislators_historical_uri": (
            "legislators-historical.csv",
            congress_tables.BRONZE_LEGISLATORS_HISTORICAL,
        ),
    }
    senate = sorted((folder / "senate_daily").glob("*.json"))
    if not senate or not all((folder / n).exists() for n, _ in files.values()):
        return None
    files |= {
        f"senate:{path.name}": (
            f"senate_daily/{path.name}",
            f"bronze/senate/{path.name}",
        )
        for path in senate
    }
    for name, key in files.values():
        if not wh.exists(key):
            wh.put_if_absent(key, (folder / name).read_bytes())
    uris = {f: wh.uri(key) for f, (_, key) in files.items() if ":" not in f}
    return uris | {"senate_source_uri": wh.uri("bronze/senate")}


def brief(summary: dict[str, Any]) -> str:
    counts = {
        "rows": summary.get("rows_out", summary.get("silver_rows")),
        "transactions": summary.get("transactions_processed"),
        "files": summary.get("files_written"),
        "quarantined": summary.get("quarantined"),
    }
    return ", ".join(
        f"{v:,} {k if v != 1 else k.removesuffix('s')}"
        for k, v in counts.items()
        if isinstance(v, int)
    )


class JobProgress:
    """One line per job: a spinner while it runs, then how it ended."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.rows: dict[str, Any] = {}
        self.started_at: dict[str, float] = {}

    def started(self, job: str) -> None:
        self.started_at[job] = time.perf_counter()
        if job in self.rows:  # a retry
            self.progress.reset(self.rows[job], description=f"{job} (retrying)")
        else:
            self.rows[job] = self.progress.add_task(job, total=None)

    def finished(self, job: str, summary: dict[str, Any]) -> None:
        secs = time.perf_counter() - self.started_at[job]
        text = f"[green]✓[/] {job}: {brief(summary)} [dim]({secs:.1f} s)[/]"
        self.progress.update(self.rows[job], description=text, total=1, completed=1)

    def failed(self, job: str, error: BaseException) -> None:
        text = f"[red]✗[/] {job}: {type(error).__name__}: {error}"
        self.progress.update(self.rows[job], description=text, total=1, completed=1)


@contextmanager
def job_progress() -> Iterator[None]:
    """The terminal shows the jobs' progress; the JSON logs and EMF metrics a Lambda
    writes stay out of it (every record still reaches the Prefect run log)."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "ERROR")
    from common.observability import SERVICE
    from flows import tasks

    for handler in logging.getLogger(SERVICE).handlers:  # Powertools' stdout JSON
        handler.setLevel(logging.ERROR)
    columns = (SpinnerColumn(finished_text=" "), TextColumn("{task.description}"))
    with Progress(*columns, console=console) as progress:
        watcher = JobProgress(progress)
        tasks.WATCHERS.append(watcher)
        try:
            yield
        finally:
            tasks.WATCHERS.remove(watcher)


def run_flow(flow: FlowName, **params: Any) -> Any:
    with job_progress():
        if flow is FlowName.totesys:
            from flows.totesys import totesys

            return totesys(**params)
        from flows.congress_gold import congress_gold

        return congress_gold(**params)


def where_next(wh: Warehouse) -> None:
    console.print(
        f"\nTables are Parquet under [bold]{wh.root}[/]; the runs, their logs and "
        "artifacts are in Prefect's UI:\n"
        "  ./pants run flows/cli.py -- ui      # then open http://127.0.0.1:4200\n"
        "Ask the tables yourself:\n"
        '  ./pants run flows/cli.py -- query "SELECT COUNT(*) FROM dim_members"'
    )


@app.command()
def generate(
    tenant: Annotated[
        str, typer.Option(help="congress (demo silver) or chargebacks")
    ] = "congress",
    rows: Annotated[int, typer.Option(help="congress: silver rows")] = 100_000,
    seed: Annotated[int, typer.Option(help="generator seed")] = 7,
    start: Annotated[str, typer.Option(help="chargebacks: first day")] = "2024-03-01",
    end: Annotated[str, typer.Option(help="chargebacks: last day")] = "2024-03-07",
    per_day: Annotated[int, typer.Option(help="chargebacks: per day")] = 1_000,
    executions: Annotated[
        int, typer.Option(help="chargebacks: consolidation runs per day")
    ] = 1,
) -> None:
    """Write deterministic data to WAREHOUSE_URI. congress: the demo silver and
    dimension tables. chargebacks: the chargeback records (into the store: SQLite in
    the warehouse, or CHARGEBACKS_TABLE), their event logs under bronze/event_logs/
    and the consolidation messages in bronze/consolidation/messages.json."""
    if tenant == "chargebacks":
        import datetime as dt

        from common.chargebacks import generate as chargebacks
        from common.chargebacks.store import chargeback_store

        wh = warehouse()
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        store = chargeback_store(wh.root, wh.is_local)
        counts = chargebacks.write(wh, store, first, last, per_day, seed, executions)
        console.print(counts)
        return
    if tenant != "congress":
        raise typer.BadParameter(f"no generator for {tenant!r}", param_hint="--tenant")
    from common.congress import demo_data

    with Progress(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        progress.add_task(f"generating {rows:,} silver rows", total=None)
        counts = demo_data.generate(warehouse(), rows=rows, seed=seed)
    console.print(counts)


@app.command()
def pipelines(
    out: Annotated[Path, typer.Option(help="where the files go")] = Path(
        "terraform/pipelines"
    ),
) -> None:
    """Write what Terraform deploys from code: the Step Functions definitions and the
    schedules' inputs (common/pipelines.py) in terraform/pipelines/, and the Glue
    tables (common/catalog.py) beside it. A test fails if the committed ones differ."""
    from common import catalog
    from common.pipelines import rendered

    out.mkdir(parents=True, exist_ok=True)
    files = {out / name: text for name, text in rendered().items()}
    files[out.parent / "catalog_tables.tf.json"] = catalog.rendered()
    for path, text in files.items():
        path.write_text(text)
        console.print(f"wrote {path}")


@app.command(name="new-job")
def new_job(
    tenant: Annotated[str, typer.Argument(help="tenant folder under common/")],
    job: Annotated[str, typer.Argument(help="the job's one name, e.g. build_dim_x")],
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Scaffold a table job: module, Lambda folder, Prefect task, Terraform entry and
    an xfail test (the README's "add a table in five minutes")."""
    from flows.scaffold import new_job as scaffold

    try:
        written = scaffold(root, tenant, job)
    except (ValueError, FileExistsError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    for path in written:
        console.print(f"wrote {path}")
    console.print(
        f"next: fill Schema and transform in common/{tenant}/{job}.py, then "
        f"./pants test tests/test_{job}.py"
    )


@app.command()
def run(
    flow: Annotated[FlowName, typer.Argument(help="which flow")],
    rebuild: Annotated[bool, typer.Option(help="rebuild tables from scratch")] = False,
    since_date: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="reprocess from")
    ] = None,
    source_uri: Annotated[
        str | None, typer.Option(help="House PTR JSON to ingest")
    ] = None,
    senate_source_uri: Annotated[
        str | None,
        typer.Option(help="Senate daily report (or a folder of them) to ingest"),
    ] = None,
    build_members: Annotated[bool, typer.Option(help="rebuild dim_members")] = True,
) -> None:
    """Run a flow in this process (Prefect starts a local API if none is configured).
    congress-gold with no source: every new file in bronze/house/ and bronze/senate/
    is ingested first;
    totesys: every packet in the ingestion root not processed yet."""
    if flow is FlowName.totesys:
        if rebuild or since_date or source_uri or senate_source_uri:
            raise typer.BadParameter(
                "--rebuild, --since-date and the source URIs are congress-gold "
                "options",
                param_hint="FLOW",
            )
        result = run_flow(flow)
        console.print_json(json.dumps(result, default=str))
        return
    day = since_date.date() if since_date else None
    params = {
        "source_uri": source_uri,
        "senate_source_uri": senate_source_uri,
        "build_members": build_members,
    }
    result = run_flow(flow, rebuild=rebuild, since_date=day, **params)
    console.print_json(json.dumps(result, default=str))
    console.print(built_tables(warehouse()))


@app.command()
def demo(rows: Annotated[int, typer.Option(help="silver rows")] = 100_000) -> None:
    """Run the whole Congress flow and show what it built: on the real public files in
    ../shared/data when present, else on generated demo data."""
    real = shared_congress(warehouse())
    if real:
        console.print("Congress flow on the real files in ../shared/data/congress")
        run_flow(FlowName.congress_gold, rebuild=True, **real)
    else:
        if not warehouse().keys("silver/ptr_transactions", ".parquet"):
            generate(rows=rows, seed=7)
        console.print("Congress flow on generated demo data")
        run_flow(FlowName.congress_gold, rebuild=True, build_members=False)
    console.print(built_tables(warehouse()))
    from common.query import TOP_BOUGHT
    from common.query import query as run_query

    console.print(
        "\nTop 10 tickers bought by members in the 90 days before the newest trade:"
    )
    with pl.Config(tbl_rows=10, tbl_hide_dataframe_shape=True):
        console.print(str(run_query(warehouse(), TOP_BOUGHT)), highlight=False)
    where_next(warehouse())


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL; tables as the Glue catalog names")],
) -> None:
    """SQL over the warehouse: fact_ptr_transactions, dim_members, dim_assets,
    dim_dates, trending_stocks and the Totesys star tables (fact_sales_order, dim_*).
    Prints only the result table on stdout."""
    from common.query import query as run_query

    try:
        result = run_query(warehouse(), sql)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="SQL") from exc
    with pl.Config(tbl_rows=200, tbl_cols=-1, tbl_width_chars=200):
        print(result)


@app.command()
def serve(
    config: Annotated[Path, typer.Option(help="deployments file")] = Path(
        "prefect.yaml"
    ),
) -> None:
    """Serve prefect.yaml's deployments from this process, on their schedules (no work
    pool or worker needed; Ctrl-C stops)."""
    from prefect import serve as prefect_serve

    from flows.deployments import from_prefect_yaml

    prefect_serve(*from_prefect_yaml(config))


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="port of the UI and API")] = 4200,
) -> None:
    """Prefect's server and UI over the runs made from this folder (PREFECT_HOME is
    ./.prefect); Ctrl-C stops."""
    server = ["server", "start", "--host", "127.0.0.1", "--port", str(port)]
    raise typer.Exit(subprocess.call([sys.executable, "-m", "prefect", *server]))


class LocalContext:
    """The attributes Powertools reads from a real Lambda context."""

    def __init__(self, function: str) -> None:
        self.function_name = function
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:local:0:function:{function}"
        self.log_group_name = self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@app.command()
def invoke(
    function: Annotated[str, typer.Argument(help="lambda/<function>/handler.py")],
    event: Annotated[Path, typer.Argument(exists=True, help="event JSON file")],
) -> None:
    """Call a Lambda handler in this process with an event file, as Lambda would."""
    path = Path("lambda") / function / "handler.py"
    if not path.exists():
        raise typer.BadParameter(f"no handler at {path}", param_hint="FUNCTION")
    spec = importlib.util.spec_from_file_location(f"{function}_handler", path)
    assert spec and spec.loader
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    response = handler.lambda_handler(
        json.loads(event.read_text()), LocalContext(function)
    )
    console.print_json(json.dumps(response))
    if response.get("statusCode") != 200:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
