"""Cold start of every job's handler module, as a fresh Lambda container pays it.

  ./pants package lambda::
  python benchmarks/cold_import.py [--runs 5]

Laid out as shipped and as Lambda mounts it (tests/lambda_zip.py): the function's zip
in its folder, the layers in /opt/python with the bytecode they ship, the runtime's
boto3 last. Each import happens in a new clean interpreter (`-I -S`) that writes no
bytecode (`-B`), as in Lambda's read-only /var/task and /opt. The figure is the time
from the start of the import to the handler module's end, median of --runs. Prints a
Markdown table, and exits 1 when a median is over --budget (issue 13: 0.8 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = """
import sys, time
sys.path[:0] = sys.argv[1:3]
sys.path.append(sys.argv[3])
started = time.perf_counter()
import handler
print(time.perf_counter() - started)
"""


def cold_import(job: str, path: list[str]) -> float:
    # As deployed (terraform/modules/table_job_lambda): inside Lambda, so the Tracer
    # loads the X-Ray SDK and patches, and with a state table, so boto3 loads too.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": job,
        "STATE_TABLE": "state",
        "WAREHOUSE_URI": "s3://bucket/warehouse",
        "POWERTOOLS_SERVICE_NAME": job,
        "CHARGEBACKS_TABLE": "chargebacks",  # the consumer makes its client at init
        "AWS_DEFAULT_REGION": "eu-west-2",  # Lambda sets it
    }
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", PROBE, *path],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="imports per job")
    parser.add_argument(
        "--without-layer-bytecode",
        action="store_true",
        help="delete the layers' .pyc first (what precompiling them saves)",
    )
    parser.add_argument(
        "--budget", type=float, default=0.8, help="seconds a median may take"
    )
    args = parser.parse_args()
    from tests.lambda_zip import sys_path, unpack
    from tests.test_lambda_zips import FUNCTIONS

    root = tempfile.mkdtemp(prefix="cold-import-")
    if args.without_layer_bytecode:
        for layer_dir in sys_path(root)[1:]:
            for cache in list(Path(layer_dir).rglob("__pycache__")):
                shutil.rmtree(cache)
    print("| job | cold import, median of", args.runs, "(s) | min | max |")
    print("| --- | ---: | ---: | ---: |")
    over = []
    for job in FUNCTIONS:
        code = unpack(job, os.path.join(root, job))
        times = [cold_import(job, sys_path(code)) for _ in range(args.runs)]
        median = statistics.median(times)
        print(f"| {job} | {median:.2f} | {min(times):.2f} | {max(times):.2f} |")
        if median > args.budget:
            over.append(job)
    if over:
        sys.exit(f"over the {args.budget} s budget: {', '.join(over)}")


if __name__ == "__main__":
    main()
