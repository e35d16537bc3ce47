"""Every job's summary ends in EMF metrics, PeakMemory among them: the figure each
function's memory alarm compares with 80% of its memory_mb (terraform)."""

from __future__ import annotations

import json

from common.congress import demo_data
from common.congress.build_dim_dates import JOB
from common.jobs import run_job


def status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, as the kernel reports them."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def test_a_job_reports_its_process_peak_memory_in_mb(warehouse, capsys):
    demo_data.generate(warehouse, rows=2_000, members=20, assets=50, seed=1)
    ballast = b"x" * (96 * 2**20)  # held through the run: the peak includes it
    before = status_mb("VmRSS")
    capsys.readouterr()

    run_job(JOB, {})

    after = status_mb("VmHWM")
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(x) for x in lines if x.startswith("{") and "_aws" in x]
    peaks = [r["PeakMemory"] for r in records if "PeakMemory" in r]
    assert len(peaks) == 1, records
    [[peak]] = peaks  # EMF carries a metric's values as a list
    # megabytes (KB or bytes would miss by 1024x), and this process's own
    assert before - 1 <= peak <= after + 1
    assert peak >= 96
    [metric] = [
        m
        for r in records
        for d in r["_aws"]["CloudWatchMetrics"]
        for m in d["Metrics"]
        if m["Name"] == "PeakMemory"
    ]
    assert metric["Unit"] == "Megabytes"
    assert {r["job"] for r in records if "PeakMemory" in r} == {"build_dim_dates"}
    del ballast
