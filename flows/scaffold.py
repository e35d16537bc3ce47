"""`cli new-job <tenant> <job>`: a new table job, stamped from the shape every job has.

It writes the job module (params model, Pandera schema stub, transform stub, job
function), the Lambda folder (BUILD, handler, sample event and response), the Prefect
task, the Terraform map entry and a test marked xfail(strict=True) until the job is
written. Nothing is overwritten: a job that exists is an error naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")

JOB_MODULE = '''"""The table job {job}, scaffolded by `cli new-job`.

Fill in `Schema` (the table's contract) and `transform` (pure Polars); the job
function around them reads the source, validates, quarantines and writes, as every
job does. Then update the sample response and drop the test's xfail mark:
lambda/{job}/response.json
tests/test_{job}.py
"""

from __future__ import annotations

import io
from typing import Any

import pandera.polars as pa
import polars as pl
from pydantic import BaseModel, ConfigDict

from common.errors import InvalidEvent
from common.jobs import JobContext, TableJob
from common.storage import SourceRoots
from common.validation import split_valid

TABLE = "gold/{tenant}/{job}/{job}.parquet"
QUARANTINE = "quarantine/{job}"


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_uri: str  # a JSON array of records, under SOURCE_ROOTS


class Schema(pa.DataFrameModel):
    """The table's contract: one field per column."""

    # id: pl.Int64 = pa.Field(unique=True)

    class Config:
        strict = True


def transform(source: pl.DataFrame) -> pl.DataFrame:
    """The table's rows from the source records."""
    raise NotImplementedError("{job}: write the transform")


def run(ctx: JobContext, p: Params) -> dict[str, Any]:
    roots = SourceRoots.from_env(ctx.warehouse)
    try:
        data = roots.read(p.source_uri, "source_uri")
    except FileNotFoundError as exc:
        raise InvalidEvent("source_uri", str(exc)) from exc
    try:
        source = pl.read_json(io.BytesIO(data))
    except (pl.exceptions.PolarsError, ValueError) as exc:
        problem = f"not a JSON array of records: {{exc}}"
        raise InvalidEvent("source_uri", problem) from exc
    table, rejected = split_valid(transform(source), Schema)
    ctx.check_lease()
    ctx.warehouse.write_parquet(table, TABLE)
    if rejected.height:
        ctx.warehouse.write_parquet(rejected, f"{{QUARANTINE}}/rejected.parquet")
    return {{
        "rows_in": source.height,
        "rows_out": table.height,
        "quarantined": rejected.height,
        "files_written": 1 + bool(rejected.height),
    }}


JOB = TableJob("{job}", Params, run)
'''

HANDLER = '''"""Lambda adapter: the job is JOB, from its module in common/."""

{imports}

lambda_handler = lambda_handler_for(JOB)
'''

EVENT = '{{\n  "source_uri": "s3://example-bronze/{tenant}/{job}.json"\n}}\n'
RESPONSE = (
    '{\n  "statusCode": 200,\n  "body": "{\\"files_written\\": 1, '
    '\\"quarantined\\": 0, \\"rows_in\\": 1, \\"rows_out\\": 1}"\n}\n'
)

TEST = '''"""Scaffolded by `cli new-job`: xfail until the job's transform is written."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

{imports}


@pytest.mark.xfail(strict=True, raises=NotImplementedError, reason="not written yet")
def test_{job}_builds_its_table(warehouse):
    source = Path(warehouse.root, "bronze", "{tenant}", "{job}.json")
    source.parent.mkdir(parents=True)
    source.write_text(json.dumps([{{"id": 1}}, {{"id": 2}}]))
    summary = run_job(JOB, {{"source_uri": str(source)}})
    # Replace with what the table must hold, checked against an independent oracle.
    table = pl.read_parquet(warehouse.uri(TABLE))
    assert summary["rows_out"] == table.height == 2
'''

TASKS = '''"""Prefect tasks of the jobs `cli new-job` made: wire them into a flow."""

from __future__ import annotations

{imports}
from flows.tasks import job_task

{tasks}
'''

TF_ENTRY = """    # scaffolded by `cli new-job`: narrow the prefixes, size the memory
    {job} = {{
      read_prefixes  = ["bronze/{tenant}/"]
      write_prefixes = ["gold/{tenant}/{job}/", "quarantine/{job}/"]
      memory_mb      = 512
    }}
"""

TF_FILE = """\
# A tenant's table jobs: one Lambda per job (lambda/<job>/), each allowed only the
# warehouse prefixes it reads and writes.

locals {{
  {tenant}_jobs = {{
{entries}  }}
}}
"""


def check_name(kind: str, value: str) -> None:
    if not NAME.match(value):
        raise ValueError(
            f"{kind} {value!r}: lower-case letters, digits and _, from a letter"
        )


def new_job(root: Path, tenant: str, job: str) -> list[Path]:
    """Write the job's files under the repo `root`; returns them, created or changed."""
    check_name("tenant", tenant)
    check_name("job", job)
    module = root / "common" / tenant / f"{job}.py"
    folder = root / "lambda" / job
    for path in (module, folder):
        if path.exists():
            raise FileExistsError(f"job {job} exists already: {path}")
    values = {"tenant": tenant, "job": job}
    imports = sorted(
        [
            "from common.lambda_handler import lambda_handler_for",
            f"from common.{tenant}.{job} import JOB",
        ]
    )
    files = {
        module: JOB_MODULE.format(**values),
        folder / "BUILD": "lambda_job()\n",
        folder / "handler.py": HANDLER.format(imports="\n".join(imports)),
        folder / "event.json": EVENT.format(**values),
        folder / "response.json": RESPONSE,
        root / "tests" / f"test_{job}.py": TEST.format(
            **values,
            imports="\n".join(
                sorted(
                    [
                        f"from common.{tenant}.{job} import JOB, TABLE",
                        "from common.jobs import run_job",
                    ]
                )
            ),
        ),
    }
    package = root / "common" / tenant
    if not package.exists():
        files[package / "__init__.py"] = ""
        files[package / "BUILD"] = "python_sources()\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [*files, add_task(root, tenant, job), *add_terraform(root, tenant, job)]


def add_task(root: Path, tenant: str, job: str) -> Path:
    """(Re)write flows/<tenant>_tasks.py with one task per scaffolded job."""
    path = root / "flows" / f"{tenant}_tasks.py"
    old = path.read_text() if path.exists() else ""
    jobs = sorted({*re.findall(r"^(\w+) = job_task\(", old, re.MULTILINE), job})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        TASKS.format(
            tenant=tenant,
            imports="\n".join(
                f"from common.{tenant} import {j} as {j}_job" for j in jobs
            ),
            tasks="\n".join(f"{j} = job_task({j}_job.JOB)" for j in jobs),
        )
    )
    return path


def add_terraform(root: Path, tenant: str, job: str) -> list[Path]:
    """The job's entry in its tenant's map (terraform/<tenant>.tf); a new tenant's
    map is created and merged into the job module's for_each (terraform/jobs.tf)."""
    entry = TF_ENTRY.format(tenant=tenant, job=job)
    path = root / "terraform" / f"{tenant}.tf"
    if path.exists():
        text = path.read_text()
        end = text.rindex("  }\n}")  # the end of the tenant's map, then of locals
        path.write_text(text[:end] + entry + text[end:])
        return [path]
    path.write_text(TF_FILE.format(tenant=tenant, entries=entry))
    jobs_tf = root / "terraform" / "jobs.tf"
    text = jobs_tf.read_text()
    merged = re.search(r"merge\(([^)]*)\)", text)
    if not merged:
        raise ValueError(f"{jobs_tf}: no merge(...) of the tenants' maps")
    maps = f"{merged[1]}, local.{tenant}_jobs"
    jobs_tf.write_text(text[: merged.start(1)] + maps + text[merged.end(1) :])
    return [path, jobs_tf]
