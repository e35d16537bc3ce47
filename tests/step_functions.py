"""Run a generated state machine on a real ASL engine: aws-local-stepfunctions (npm),
its Task states calling the local Invoke endpoint (lambda_endpoint.py) that runs the
Pants-built zips. Installed once per lockfile with `npm ci` from the npm registry."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.shared_data import BUILDROOT

PACKAGE = Path(BUILDROOT, "tests", "sfn")
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"
ALERTS_TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def engine() -> Path:
    """The engine's CLI, installed under ~/.cache once per package-lock.json."""
    lock = (PACKAGE / "package-lock.json").read_bytes()
    home = Path(os.path.expanduser("~/.cache/data-platform/sfn"))
    folder = home / hashlib.sha256(lock).hexdigest()[:16]
    cli = folder / "node_modules" / ".bin" / "local-sfn"
    if not cli.exists():
        staging = folder.with_suffix(".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PACKAGE / name, staging / name)
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=staging,
            env={**os.environ, "HOME": os.path.expanduser("~")},  # npm's cache
            check=True,
            capture_output=True,
            timeout=600,
        )
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)  # whole or not at all
    return cli


def definition(asl: dict[str, Any], prefix: str) -> str:
    """The ASL as Terraform renders it, the functions being `<prefix>-<job>`."""
    text = json.dumps(asl)
    text = text.replace("${alerts_topic_arn}", ALERTS_TOPIC)
    for job in set(re.findall(r"\$\{functions\.(\w+)\}", text)):
        text = text.replace(f"${{functions.{job}}}", f"{ACCOUNT_ARN}:{prefix}-{job}")
    return text


@dataclass
class Execution:
    succeeded: bool
    output: str
    alerts: list[dict[str, Any]]


def execute(
    asl: dict[str, Any], state_input: dict[str, Any], endpoint_url: str, prefix: str,
    workdir: Path,
) -> Execution:
    """One execution. The alert state (SNS publish, which the engine does not
    speak) is overridden by a script that records what it would have published."""
    workdir.mkdir(parents=True, exist_ok=True)
    machine = workdir / "machine.json"
    machine.write_text(definition(asl, prefix))
    alerts = workdir / "alerts.jsonl"
    alert = workdir / "alert.sh"
    alert.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> {alerts}\necho '{{}}'\n")
    alert.chmod(0o755)
    proc = subprocess.run(
        [str(engine()), "-f", str(machine), "-t", f"alert:{alert}"],
        input=json.dumps(state_input),
        capture_output=True,
        text=True,
        timeout=1800,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.path.expanduser("~"),
            "NODE_OPTIONS": f"--require {PACKAGE / 'polyfill.cjs'}",
            "AWS_ENDPOINT_URL_LAMBDA": endpoint_url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )
    published = [
        json.loads(line) for line in alerts.read_text().splitlines()
    ] if alerts.exists() else []
    return Execution(proc.returncode == 0, proc.stdout + proc.stderr, published)
