"""The `platform` CLI: --help everywhere, generate, invoke a handler as Lambda would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.congress_pipeline import ORDER
from tests.fact_reader import read_fact
from tests.shared_data import SHARED, shared_file

runner = CliRunner()


@pytest.mark.parametrize(
    "command", [[], ["generate"], ["run"], ["demo"], ["invoke"], ["serve"], ["ui"]]
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_generate_then_invoke_a_handler_with_an_event_file(warehouse, tmp_path):
    assert runner.invoke(app, ["generate", "--rows", "800"]).exit_code == 0
    assert warehouse.keys("silver/ptr_transactions", ".parquet")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"rebuild": True}))
    result = runner.invoke(app, ["invoke", "build_fact_transactions", str(event)])
    assert result.exit_code == 0, result.output
    assert '"statusCode": 200' in result.output
    assert read_fact(warehouse).height > 0
    event.write_text(json.dumps({"rebuild": "sometimes"}))
    bad = runner.invoke(app, ["invoke", "build_fact_transactions", str(event)])
    assert bad.exit_code == 1 and '"statusCode": 400' in bad.output


def test_generate_chargebacks_then_checkpoint_and_consolidate_them(warehouse):
    """The chargebacks generator: the same files twice (nothing rewritten), then the
    checkpoint Lambda takes every log it wrote and the updater its messages."""
    args = ["generate", "--tenant", "chargebacks", "--start", "2024-03-01"]
    args += ["--end", "2024-03-02", "--per-day", "30", "--executions", "2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, args)
    assert "'files_written': 0" in again.output, again.output
    logs = warehouse.keys("bronze/event_logs", ".jsonl")
    lines = sum(warehouse.read_bytes(k).count(b"\n") for k in logs)
    event = warehouse.root + "/empty.json"
    with open(event, "w") as f:
        f.write("{}")
    result = runner.invoke(app, ["invoke", "checkpoint_event_log", event])
    assert result.exit_code == 0, result.output
    body_text = re.search(r'"body": ("(?:[^"\\]|\\.)*")', result.output)
    assert body_text, result.output
    body = json.loads(json.loads(body_text[1]))
    assert body["events_new"] == lines and body["checkpoint_rows"] == 60
    messages = json.loads(warehouse.read_bytes("bronze/consolidation/messages.json"))
    assert len(messages) == 4  # two days, two executions
    from common.chargebacks.update_consolidation import apply_messages

    assert apply_messages(messages)["chargebacks_updated"] == 60 * 2


def test_demo_shows_one_line_per_job_and_no_lambda_logs(tmp_path):
    """What a newcomer sees: a line per job as it ends, the table of what was built
    and where to look next; no JSON log lines, no EMF blobs, no Prefect chatter."""
    shared_file("congress", "house_all_transactions.json")  # the demo's real data
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo"],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "SHARED_DATA": SHARED,
            "WAREHOUSE_URI": str(tmp_path / "warehouse"),
            "PREFECT_HOME": str(tmp_path / ".prefect"),
            "COLUMNS": "200",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    for job in ORDER:
        done = [line for line in lines if line.strip().startswith(f"✓ {job}:")]
        assert len(done) == 1, (job, proc.stdout)
    assert "silver/ptr_transactions" in proc.stdout  # the table of what was built
    assert "flows/cli.py -- ui" in proc.stdout  # and where to look next
    noise = [line for line in lines if line.lstrip().startswith("{")]
    assert noise == [], noise[:3]  # Powertools JSON and EMF stay in Lambda
    assert "worker thread" not in proc.stdout + proc.stderr
    assert "will be overridden" not in proc.stderr  # prefect-aws's block type intact
