"""kill -9 a writer job at a random instant, rerun the same event, compare.

Each writer job starts from a fixed warehouse (`SETUPS`), runs as its Pants-built zip
in a clean interpreter (tests/lambda_zip.py) and is killed with SIGKILL after a random
delay within a clean run's duration. The same event then runs again, with no manual
step in between. Converged means: the rerun answers 200; every table folder holds the
same rows as after a clean run (row for row: silver's ingest timestamps differ between
runs, so that column is left out; nothing else is), so nothing is lost or duplicated;
and no temporary file is left. Used by tests/test_fault_trials.py (two trials per job)
and benchmarks/kill_trials.py (20 or more per job).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from common.chargebacks import generate
from common.congress import demo_data
from common.storage import Warehouse
from tests.lambda_zip import result, start, unpack
from tests.shared_data import shared_file
from tests.totesys_packets import first_packets

HOUSE = "bronze/house/house_all_transactions.json"
LEGISLATORS = {
    "legislators_current_uri": "bronze/legislators/legislators-current.yaml",
    "legislators_historical_uri": "bronze/legislators/legislators-historical.csv",
}


def bronze(wh: Warehouse) -> None:
    """The real House file and legislators, dropped into bronze/ as in production."""
    for key, name in [
        (HOUSE, "house_all_transactions.json"),
        *[(k, os.path.basename(k)) for k in LEGISLATORS.values()],
    ]:
        os.makedirs(os.path.dirname(os.path.join(wh.root, key)), exist_ok=True)
        shutil.copy(shared_file("congress", name), os.path.join(wh.root, key))


def event_logs(wh: Warehouse) -> None:
    """A month of generated chargeback event logs in bronze/event_logs/."""
    start = dt.date(2024, 3, 1)
    records = generate.chargebacks(start, start + dt.timedelta(days=29), 300)
    for key, text in generate.event_logs(records).items():
        os.makedirs(os.path.dirname(os.path.join(wh.root, key)), exist_ok=True)
        with open(os.path.join(wh.root, key), "w") as f:
            f.write(text)


def demo(wh: Warehouse) -> None:
    demo_data.generate(wh, rows=20_000, members=100, assets=500, seed=17)


def demo_with_fact(wh: Warehouse) -> None:
    from common.congress.build_fact_transactions import JOB
    from common.jobs import JobContext, run_job
    from common.settings import Settings
    from common.state import LocalStateStore

    demo(wh)
    ctx = JobContext(wh, LocalStateStore(wh.root), Settings(wh.root, None, 120))
    run_job(JOB, {"rebuild": True}, ctx)


TOTESYS: dict[str, Any] = {}  # the packets the template's ingestion/ holds


@dataclass
class Setup:
    prepare: Callable[[Warehouse], None]
    event: Callable[[Warehouse], dict[str, Any]] = field(default=lambda wh: {})


SETUPS: dict[str, Setup] = {
    "ingest_house_ptr": Setup(
        bronze,
        lambda wh: {
            "source_uri": wh.uri(HOUSE),
            **{k: wh.uri(v) for k, v in LEGISLATORS.items()},
        },
    ),
    "build_dim_members": Setup(
        bronze, lambda wh: {k: wh.uri(v) for k, v in LEGISLATORS.items()}
    ),
    "build_dim_assets": Setup(demo),
    "build_dim_dates": Setup(demo),
    "build_fact_transactions": Setup(demo, lambda wh: {"rebuild": True}),
    "compute_trending_stocks": Setup(
        demo_with_fact, lambda wh: {"as_of_date": "2024-12-31"}
    ),
    "process_totesys_packets": Setup(
        lambda wh: TOTESYS.update(
            packets=first_packets(Warehouse(wh.uri("ingestion")))
        ),
        lambda wh: {"packets": TOTESYS["packets"]},
    ),
    "checkpoint_event_log": Setup(event_logs),
}


def tables(wh: Warehouse) -> dict[str, pl.DataFrame]:
    """Every folder's rows, sorted (object names may carry a run's timestamp)."""
    folders: dict[str, list[pl.DataFrame]] = {}
    for folder, _, files in os.walk(wh.root):
        rel = os.path.relpath(folder, wh.root)
        if rel.startswith("_state"):
            continue
        for name in files:
            if name.endswith(".parquet"):
                frame = pl.read_parquet(os.path.join(folder, name))
                frame = frame.drop("silver_ingest_ts", strict=False)
                folders.setdefault(rel, []).append(frame)
    out = {}
    for rel, frames in folders.items():
        rows = pl.concat(frames, how="diagonal_relaxed")
        out[rel] = rows.sort(rows.columns, nulls_last=True)
    return out


def temp_files(wh: Warehouse) -> list[str]:
    return [
        os.path.join(d, f)
        for d, _, files in os.walk(wh.root)
        for f in files
        if f.endswith(".tmp") or "#" in f
    ]


@dataclass
class Trials:
    job: str
    clean_seconds: float = 0.0
    killed: int = 0  # killed before it finished
    finished_first: int = 0  # the delay outlasted the run: no kill, still rerun
    converged: int = 0
    problems: list[str] = field(default_factory=list)


class Bench:
    """A job's starting warehouse, its unpacked zip and a clean run's tables."""

    def __init__(self, job: str, root: str) -> None:
        self.job, self.root = job, root
        self.template = Warehouse(os.path.join(root, "template"))
        SETUPS[job].prepare(self.template)
        self.code = unpack(job, os.path.join(root, "code"))
        for _ in range(2):  # the second run is timed: files cached, as in the trials
            clean = self.copy("clean")
            began = time.perf_counter()
            out = self.run(clean)
            self.seconds = time.perf_counter() - began
            assert out.get("result", {}).get("statusCode") == 200, out
        self.clean = tables(clean)

    def copy(self, name: str) -> Warehouse:
        dest = os.path.join(self.root, name)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.template.root, dest)
        return Warehouse(dest)

    def event(self, wh: Warehouse) -> dict[str, Any]:
        return SETUPS[self.job].event(wh)

    def run(self, wh: Warehouse) -> dict[str, Any]:
        return result(self.start(wh))

    def start(self, wh: Warehouse) -> Any:
        return start(self.code, self.job, self.event(wh), {"WAREHOUSE_URI": wh.root})

    def trial(self, n: int, rng: random.Random, report: Trials) -> None:
        wh = self.copy(f"trial-{n}")
        proc = self.start(wh)
        time.sleep(rng.uniform(0.05, 0.95) * self.seconds)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            report.killed += 1
        else:
            report.finished_first += 1
        proc.communicate()
        out = self.run(wh)  # the same event again, nothing cleaned by hand
        problem: str | None
        if out.get("result", {}).get("statusCode") != 200:
            problem = f"rerun failed: {out.get('errorType')}: {out.get('errorMessage')}"
        else:
            problem = self.differs(wh)
        if problem:
            report.problems.append(f"trial {n}: {problem}")
        else:
            report.converged += 1
        shutil.rmtree(wh.root)


    def differs(self, wh: Warehouse) -> str | None:
        """What sets `wh` apart from the clean run's warehouse, if anything."""
        if temp_files(wh):
            return f"debris left: {temp_files(wh)}"
        got = tables(wh)
        if got.keys() != self.clean.keys():
            return f"folders differ: {sorted(got.keys() ^ self.clean.keys())}"
        bad = [k for k in got if not got[k].equals(self.clean[k])]
        return f"rows differ in {bad}" if bad else None

    def two_writers(self) -> tuple[list[str], str | None]:
        """The same event started twice at once: each run's outcome, and what sets
        the warehouse apart from a clean run's afterwards."""
        wh = self.copy("two-writers")
        procs = [self.start(wh), self.start(wh)]
        outcomes = []
        for proc in procs:
            out = result(proc)
            status = out.get("result", {}).get("statusCode")
            outcomes.append(str(status) if status else error_name(out))
        problem = self.differs(wh)
        shutil.rmtree(wh.root)
        return outcomes, problem


def run_trials(job: str, trials: int, root: str, seed: int = 0) -> Trials:
    bench = Bench(job, root)
    report = Trials(job, clean_seconds=bench.seconds)
    rng = random.Random(seed)
    for n in range(trials):
        bench.trial(n, rng, report)
    return report


def error_name(out: dict) -> str:
    """The error a run ended with; a retryable one as "TransientError(<cause>)" (the
    handler wraps what Step Functions and Prefect should retry, common/jobs.py)."""
    kind = out.get("errorType", "?")
    if kind == "TransientError":
        return f"{kind}({out.get('errorMessage', '').split(':', 1)[0]})"
    return kind
