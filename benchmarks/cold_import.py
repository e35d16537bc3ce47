"""Cold start of every job's handler module, as a fresh Lambda container pays it.

  ./pants package lambda::
  python benchmarks/cold_import.py [--runs 5]

Each run unpacks nothing new: the zip is unpacked once, read-only, with no bytecode
in it; each import happens in a new clean interpreter (`-I -S`) that writes no
bytecode (`-B`), as in Lambda's read-only /var/task. The figure is the time from the
interpreter's start of the import to the handler module's end, median of --runs.
Prints a Markdown table; asserts nothing (targets: issue 13, README).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = """
import sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
import handler
print(time.perf_counter() - started)
"""


def cold_import(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", PROBE, code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", ""), "POWERTOOLS_TRACE_DISABLED": "1"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="imports per job")
    args = parser.parse_args()
    from tests.congress_pipeline import ORDER
    from tests.lambda_zip import unpack

    root = tempfile.mkdtemp(prefix="cold-import-")
    print("| job | cold import, median of", args.runs, "(s) | min | max |")
    print("| --- | ---: | ---: | ---: |")
    for job in [*ORDER, "process_totesys_packets"]:
        code = unpack(job, os.path.join(root, job))
        times = [cold_import(code) for _ in range(args.runs)]
        print(
            f"| {job} | {statistics.median(times):.2f} | {min(times):.2f} "
            f"| {max(times):.2f} |"
        )


if __name__ == "__main__":
    main()
