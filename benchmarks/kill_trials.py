"""kill -9 trials: every writer job killed at random instants, then rerun.

  ./pants package lambda::
  python benchmarks/kill_trials.py [--trials 20] [--jobs JOB ...] [--seed 0]

For each writer job: a clean run of its Pants-built zip (in a clean interpreter, as
Lambda runs it) gives the expected tables; then each trial starts the same event on a
fresh copy of the starting warehouse, kills it with SIGKILL after a random delay
within the clean run's duration, reruns the same event with no manual step, and
compares every table with the clean run's (row for row; silver's ingest timestamps
aside) and looks for temporary files left behind. A last run starts two writers at
once. Prints a table; asserts nothing (tests/test_fault_trials.py keeps two trials per
job in the suite). Needs ../shared/data (or SHARED_DATA) for the real files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    from tests.fault_trials import SETUPS, Bench, Trials

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--trials", type=int, default=20, help="kill trials per job")
    ap.add_argument("--jobs", nargs="*", default=sorted(SETUPS), choices=sorted(SETUPS))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    import random

    print("| job | clean run s | trials | killed mid-run | ended before the kill "
          "| converged | two writers | problems |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for job in a.jobs:
        began = time.perf_counter()
        bench = Bench(job, tempfile.mkdtemp(prefix=f"kill-{job}-"))
        report = Trials(job, bench.seconds)
        rng = random.Random(a.seed)
        for n in range(a.trials):
            bench.trial(n, rng, report)
        outcomes, problem = bench.two_writers()
        print(
            f"| {job} | {bench.seconds:.1f} | {a.trials} | {report.killed} "
            f"| {report.finished_first} | {report.converged} "
            f"| {' + '.join(outcomes)}{', ' + problem if problem else ', intact'} "
            f"| {'; '.join(report.problems) or 'none'} |",
            flush=True,
        )
        print(f"<!-- {job}: {time.perf_counter() - began:.0f} s -->", file=sys.stderr)


if __name__ == "__main__":
    main()
