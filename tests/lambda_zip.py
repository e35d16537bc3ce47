"""Run a Pants-built Lambda zip the way Lambda does, in a clean interpreter.

The zip is unpacked into an empty folder and its handler (`lambda_function.handler`,
Pants' zip layout) is called from `python -I -S` with sys.path = that folder + the
standard library: anything the zip forgot to bundle fails to import.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import zipfile
from typing import Any

import pytest

RUNNER = r"""
import json, sys, uuid
sys.path.insert(0, sys.argv[1])
class Context:
    function_name = sys.argv[2]
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    aws_request_id = str(uuid.uuid4())
    invoked_function_arn = "arn:aws:lambda:us-east-1:123:function:" + sys.argv[2]
    log_group_name = log_stream_name = "local"
    def get_remaining_time_in_millis(self): return 900_000
event = json.loads(sys.argv[3])
try:
    import lambda_function
    out = {"result": lambda_function.handler(event, Context())}
except Exception as exc:
    out = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
# peak RSS of this process image (VmHWM starts anew at exec; ru_maxrss does not)
with open("/proc/self/status") as status:
    hwm = [line for line in status if line.startswith("VmHWM:")]
out["max_rss_kb"] = int(hwm[0].split()[1]) if hwm else None
sys.stdout.write("\n@@RESULT@@" + json.dumps(out))
"""


def zip_path(function: str) -> str:
    """The zip `./pants package` built for lambda/<function> (a test's runtime
    package dependency, or dist/ after a manual `./pants package lambda::`)."""
    for root in (".", "dist"):
        hits = glob.glob(os.path.join(root, f"lambda.{function}", "*.zip"))
        if hits:
            return hits[0]
    pytest.skip(
        f"no built zip for lambda/{function}: run under `./pants test` "
        "or `./pants package lambda::` first"
    )


def unpack(function: str, dest: str) -> str:
    with zipfile.ZipFile(zip_path(function)) as zf:
        zf.extractall(dest)
    return dest


def start(
    code_dir: str, function: str, event: Any, env: dict[str, str]
) -> subprocess.Popen[str]:
    """The handler running in its own clean interpreter (to wait for, or to kill)."""
    argv = [sys.executable, "-I", "-S", "-c", RUNNER, code_dir, function]
    if os.environ.get("SOURCE_ROOTS") and "WAREHOUSE_URI" in env:
        # the test's roots (shared/data), and the warehouse's own bronze/ as usual
        roots = f"{os.environ['SOURCE_ROOTS']},{env['WAREHOUSE_URI']}/bronze"
        env = {"SOURCE_ROOTS": roots, **env}
    return subprocess.Popen(
        [*argv, json.dumps(event)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            "PATH": os.environ.get("PATH", ""),
            "POWERTOOLS_TRACE_DISABLED": "1",
            "AWS_LAMBDA_FUNCTION_NAME": function,
            **env,
        },
    )


def result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    """{"result": <handler return>} or {"errorType", "errorMessage"}; logs in "logs"."""
    stdout, stderr = proc.communicate(timeout=600)
    logs, sep, out = stdout.rpartition("\n@@RESULT@@")
    if not sep:
        raise RuntimeError(f"runner crashed ({proc.returncode}): {stderr[-3000:]}")
    return {**json.loads(out), "logs": logs + stderr}


def invoke(
    code_dir: str, function: str, event: Any, env: dict[str, str]
) -> dict[str, Any]:
    return result(start(code_dir, function, event, env))
