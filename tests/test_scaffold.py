"""`cli new-job`: the files it writes follow the shape of every job, pass the linter
and Terraform's formatter, and the new handler answers its sample event with its
sample response once a trivial transform is filled in."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import common
from tests.shared_data import BUILDROOT

REPO = Path(BUILDROOT)


@pytest.fixture
def repo(tmp_path) -> Path:
    """The parts of the repository the scaffold edits, copied."""
    for part in ("terraform/congress.tf", "terraform/jobs.tf", "pyproject.toml"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / part, tmp_path / part)
    (tmp_path / "common" / "congress").mkdir(parents=True)
    return tmp_path


def scaffold(root: Path, tenant: str, job: str) -> None:
    from flows.scaffold import new_job

    new_job(root, tenant, job)


def test_new_tenant_and_existing_tenant(repo):
    scaffold(repo, "payments", "build_settlements")
    scaffold(repo, "congress", "build_dim_committees")
    jobs = [("payments", "build_settlements"), ("congress", "build_dim_committees")]
    for tenant, job in jobs:
        folder = repo / "lambda" / job
        assert (folder / "BUILD").read_text() == "lambda_job()\n"  # the macro
        for name in ("handler.py", "event.json", "response.json"):
            assert (folder / name).exists()
        assert (repo / "common" / tenant / f"{job}.py").exists()
        test = (repo / "tests" / f"test_{job}.py").read_text()
        assert "xfail(strict=True" in test
        tasks = (repo / "flows" / f"{tenant}_tasks.py").read_text()
        assert f"{job} = job_task({job}_job.JOB)" in tasks
    assert (repo / "common" / "payments" / "BUILD").read_text() == "python_sources()\n"
    # Terraform: the entry in its tenant's map, the new map merged into the module
    congress = (repo / "terraform" / "congress.tf").read_text()
    maps = re.findall(r"^    (\w+) = \{$", congress, flags=re.MULTILINE)
    assert maps[-1] == "build_dim_committees" and "ingest_house_ptr" in maps
    payments = (repo / "terraform" / "payments.tf").read_text()
    assert re.findall(r"^    (\w+) = \{$", payments, flags=re.MULTILINE) == [
        "build_settlements"
    ]
    module = (repo / "terraform" / "jobs.tf").read_text()
    assert re.search(r"merge\(local\.congress_jobs, .*, local\.payments_jobs\)", module)
    # scaffolding the same job again is refused, nothing overwritten
    with pytest.raises(FileExistsError, match="build_settlements"):
        scaffold(repo, "payments", "build_settlements")
    with pytest.raises(ValueError, match="tenant"):
        scaffold(repo, "../x", "job")


def test_scaffold_is_lint_and_fmt_clean(repo):
    scaffold(repo, "payments", "build_settlements")
    scaffold(repo, "payments", "build_refunds")
    python = [str(p) for p in repo.rglob("*.py")]
    config = str(repo / "pyproject.toml")
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", config, *python],
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    terraform = shutil.which("terraform")
    assert terraform, "terraform CLI not on PATH"
    fmt = subprocess.run(
        [terraform, "fmt", "-check", "-diff", str(repo / "terraform")],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_filled_in_handler_answers_its_sample(repo, warehouse, monkeypatch):
    scaffold(repo, "payments", "build_settlements")
    module = repo / "common" / "payments" / "build_settlements.py"
    text = module.read_text()
    text = text.replace(
        '    raise NotImplementedError("build_settlements: write the transform")',
        '    return source.select(pl.col("id").cast(pl.Int64))',
    ).replace("    # id: pl.Int64", "    id: pl.Int64")
    module.write_text(text)
    # the rendered package joins the real `common` for this test only
    monkeypatch.setattr(common, "__path__", [*common.__path__, str(repo / "common")])
    folder = repo / "lambda" / "build_settlements"
    spec = importlib.util.spec_from_file_location("handler", folder / "handler.py")
    assert spec and spec.loader
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)

    event = json.loads((folder / "event.json").read_text())
    source = Path(warehouse.root, "bronze", "payments", "build_settlements.json")
    source.parent.mkdir(parents=True)
    source.write_text(json.dumps([{"id": 7}]))
    event["source_uri"] = str(source)  # the sample names S3; the same file, locally
    response = handler.lambda_handler(event, LambdaContext())
    expected = json.loads((folder / "response.json").read_text())
    assert response["statusCode"] == expected["statusCode"] == 200
    assert json.loads(response["body"]) == json.loads(expected["body"])
    job = importlib.import_module("common.payments.build_settlements")
    table = pl.read_parquet(warehouse.uri(job.TABLE))
    assert table["id"].to_list() == [7]


class LambdaContext:
    function_name = "build_settlements"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:x"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000
