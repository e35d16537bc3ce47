"""Run a Pants-built Lambda zip the way Lambda does, in a clean interpreter.

Laid out as Lambda lays it out: the function's zip unpacked into its own folder
(/var/task), the layers every function has unpacked into one folder (/opt, so their
`python/` is /opt/python) and the runtime's boto3 after the standard library
(/var/runtime; the `runtime_sdk` build, see lambda/BUILD). The handler
(`lambda_function.handler`, Pants' zip layout) is called from `python -I -S -B` with
sys.path = function, /opt/python, standard library, runtime: anything neither the zip
nor a layer holds fails to import, and nothing writes bytecode (both are read-only
in Lambda).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from typing import Any

import pytest

# The layers of every function (terraform/layers.tf; a test holds them equal).
LAYERS = ("data_layer", "powertools_layer")

RUNNER = r"""
import json, sys, uuid
task, opt, runtime = sys.argv[4:7]
sys.path[:0] = [task, opt]
sys.path.append(runtime)
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


def artifact(path: str) -> str:
    """What `./pants package lambda::` built (a test's runtime package dependency, or
    dist/ after a manual `./pants package lambda::`)."""
    for root in (".", "dist"):
        if os.path.exists(os.path.join(root, path)):
            return os.path.join(root, path)
    pytest.skip(
        f"no built {path}: run under `./pants test` or `./pants package lambda::` first"
    )


def zip_path(function: str) -> str:
    return artifact(f"lambda.{function}/lambda.zip")


def layer_path(layer: str) -> str:
    return artifact(f"lambda/{layer}.zip")


@functools.cache
def _shared_dirs() -> tuple[str, str]:
    """/opt/python and the runtime's boto3 folder, unpacked once per process."""
    root = tempfile.mkdtemp(prefix="lambda-opt-")
    atexit.register(shutil.rmtree, root, True)
    for layer in LAYERS:
        with zipfile.ZipFile(layer_path(layer)) as zf:
            zf.extractall(os.path.join(root, "opt"))
    with zipfile.ZipFile(layer_path("runtime_sdk")) as zf:
        zf.extractall(os.path.join(root, "runtime"))
    return os.path.join(root, "opt", "python"), os.path.join(root, "runtime", "python")


def sys_path(code_dir: str) -> list[str]:
    """The function's folder, /opt/python and the runtime's folder, in that order."""
    return [code_dir, *_shared_dirs()]


def unpack(function: str, dest: str) -> str:
    """The function's zip in `dest`, its /var/task."""
    with zipfile.ZipFile(zip_path(function)) as zf:
        zf.extractall(dest)
    return dest


def start(
    code_dir: str, function: str, event: Any, env: dict[str, str]
) -> subprocess.Popen[str]:
    """The handler running in its own clean interpreter (to wait for, or to kill)."""
    argv = [sys.executable, "-I", "-S", "-B", "-c", RUNNER, code_dir, function]
    if os.environ.get("SOURCE_ROOTS") and "WAREHOUSE_URI" in env:
        # the test's roots (shared/data), and the warehouse's own bronze/ as usual
        roots = f"{os.environ['SOURCE_ROOTS']},{env['WAREHOUSE_URI']}/bronze"
        env = {"SOURCE_ROOTS": roots, **env}
    return subprocess.Popen(
        [*argv, json.dumps(event), *sys_path(code_dir)],
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


def result(proc: subprocess.Popen[str], timeout: float = 600) -> dict[str, Any]:
    """{"result": <handler return>} or {"errorType", "errorMessage"}; logs in "logs"."""
    stdout, stderr = proc.communicate(timeout=timeout)
    logs, sep, out = stdout.rpartition("\n@@RESULT@@")
    if not sep:
        raise RuntimeError(f"runner crashed ({proc.returncode}): {stderr[-3000:]}")
    return {**json.loads(out), "logs": logs + stderr}


def invoke(
    code_dir: str, function: str, event: Any, env: dict[str, str]
) -> dict[str, Any]:
    return result(start(code_dir, function, event, env))
