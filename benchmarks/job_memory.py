"""Peak memory and handler time of every job, run as its Lambda zip, to size each
function's memory (terraform/: memory_mb) and estimate its cost.

  ./pants package lambda::
  python benchmarks/job_memory.py [--rows 1000000]

Two sizes per job: the real public files (../shared/data: the House file, the
legislators, the Totesys dump) with the Congress tables built from them, and a
generated warehouse of --rows silver rows (Totesys: a --rows/10 sales_order packet on
top of the dump). Each job runs in a clean interpreter as Lambda runs it; peak RSS is
the process's own (the interpreter and imports included, as Lambda counts it) and
handler seconds are the job's own figure from its log. Prints a Markdown table;
asserts nothing.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import sys
import tempfile
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(job: str, event: dict, wh, root: str) -> tuple[float, float]:
    from tests.lambda_zip import invoke, unpack

    code = os.path.join(root, "code", job)
    if not os.path.exists(code):
        unpack(job, code)
    out = invoke(code, job, event, {"WAREHOUSE_URI": wh.root})
    assert out.get("result", {}).get("statusCode") == 200, out
    records = [json.loads(x) for x in out["logs"].splitlines() if x[:1] == "{"]
    seconds = next(r["seconds"] for r in records if r.get("message") == "job finished")
    return seconds, out["max_rss_kb"] / 1024


def real(root: str) -> list[tuple[str, str, float, float]]:
    from common.storage import Warehouse
    from tests.congress_pipeline import ORDER as CONGRESS
    from tests.fault_trials import HOUSE, LEGISLATORS, bronze
    from tests.totesys_packets import first_packets

    wh = Warehouse(os.path.join(root, "real"))
    bronze(wh)
    senate = os.path.join(os.environ.get("SHARED_DATA", "../shared/data"), "congress")
    for path in glob.glob(os.path.join(senate, "senate_daily", "*.json")):
        with open(path, "rb") as f:
            wh.put_if_absent(f"bronze/senate/{os.path.basename(path)}", f.read())
    legislators = {k: wh.uri(v) for k, v in LEGISLATORS.items()}
    events: dict[str, dict[str, Any]] = {
        "ingest_house_ptr": {"source_uri": wh.uri(HOUSE), **legislators},
        "ingest_senate_ptr": {"source_uri": wh.uri("bronze/senate"), **legislators},
        "build_dim_members": legislators,
        "build_fact_transactions": {"rebuild": True},
    }
    rows = []
    for job in CONGRESS:
        seconds, mb = run(job, events.get(job, {}), wh, root)
        rows.append((job, "real House file (6,542 rows)", seconds, mb))
    packets = first_packets(Warehouse(wh.uri("ingestion")))
    seconds, mb = run("process_totesys_packets", {"packets": packets}, wh, root)
    what = "the Totesys dump (11 packets)"
    rows.append(("process_totesys_packets", what, seconds, mb))
    return rows


def generated(root: str, n: int) -> list[tuple[str, str, float, float]]:
    from common.congress import demo_data
    from common.storage import Warehouse
    from tests.congress_pipeline import ORDER as CONGRESS
    from tests.fault_trials import LEGISLATORS, bronze
    from tests.totesys_packets import dump_rows, first_packets, write_packet

    wh = Warehouse(os.path.join(root, "generated"))
    demo_data.generate(wh, rows=n, members=500, assets=5_000, seed=7)
    bronze(wh)
    events: dict[str, dict[str, Any]] = {
        "build_dim_members": {k: wh.uri(v) for k, v in LEGISLATORS.items()},
        "build_fact_transactions": {"rebuild": True},
    }
    rows = []
    for job in CONGRESS[1:]:
        seconds, mb = run(job, events.get(job, {}), wh, root)
        rows.append((job, f"{n:,} silver rows", seconds, mb))
    ingestion = Warehouse(wh.uri("ingestion"))
    packets = first_packets(ingestion)
    run("process_totesys_packets", {"packets": packets}, wh, root)
    rng = random.Random(1)
    orders = dump_rows("sales_order")
    big = [
        {**rng.choice(orders), "sales_order_id": 100_000 + i, "units_sold": i % 999 + 1}
        for i in range(n // 10)
    ]
    packet = write_packet(ingestion, "sales_order", 2, big)
    seconds, mb = run("process_totesys_packets", {"packets": [packet]}, wh, root)
    rows.append(("process_totesys_packets", f"a {n // 10:,}-row packet", seconds, mb))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="job-memory-")
    print("| job | input | handler s | peak RSS MB |")
    print("| --- | --- | ---: | ---: |")
    for job, what, seconds, mb in real(root) + generated(root, a.rows):
        print(f"| {job} | {what} | {seconds:.2f} | {mb:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
