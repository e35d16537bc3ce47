"""The `platform` CLI: --help everywhere, generate, invoke a handler as Lambda would."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.fact_reader import read_fact

runner = CliRunner()


@pytest.mark.parametrize(
    "command", [[], ["generate"], ["run"], ["demo"], ["invoke"], ["serve"]]
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
