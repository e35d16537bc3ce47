"""Benchmark: Totesys packets, job call only (targets: a 100,000-row sales_order
packet under 2 s; a 10-row packet after 10,000 earlier ones under 0.2 s).

  python benchmarks/totesys_packet.py [--rows 100000]
  python benchmarks/totesys_packet.py --rows 10 --after 10000

Builds a warehouse whose first packets are the real Totesys dump (../shared/data),
then times the job call for a synthetic sales_order packet of --rows updated orders.
With --after N, the job state first records N processed sales_order packets, as N
earlier runs would leave it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--after", type=int, default=1, help="earlier sales_order packets")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="totesys-bench-")
    os.environ["WAREHOUSE_URI"] = root
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from common.jobs import JobContext, run_job
    from common.storage import Warehouse
    from common.totesys.packet_store import STATE
    from common.totesys.process_totesys_packets import JOB
    from tests.totesys_packets import dump_rows, first_packets, write_packet

    ingestion = Warehouse(os.path.join(root, "ingestion"))
    run_job(JOB, {"packets": first_packets(ingestion)})
    ctx = JobContext.from_env()
    state = ctx.state.get(STATE) or {}
    state["processed"]["sales_order"] = [[1, a.after]]
    ctx.state.put(STATE, state)
    rng = random.Random(1)
    orders = dump_rows("sales_order")
    rows = [
        {
            **rng.choice(orders),
            "sales_order_id": 100_000 + i,
            "units_sold": rng.randint(1, 99_999),
            "last_updated": f"2025-01-01T00:{i // 6000 % 60:02d}:{i // 100 % 60:02d}",
        }
        for i in range(a.rows)
    ]
    packet = write_packet(ingestion, "sales_order", a.after + 1, rows)
    started = time.perf_counter()
    summary = run_job(JOB, {"packets": [packet]})
    secs = time.perf_counter() - started
    print(
        f"sales_order packet rows={a.rows:,} after={a.after:,} job={secs:.3f}s "
        f"{json.dumps(summary['tables']['fact_sales_order'])}"
    )


if __name__ == "__main__":
    main()
