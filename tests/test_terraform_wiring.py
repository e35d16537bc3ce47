"""Terraform cross-checked statically (the AWS provider cannot be downloaded here):
schedules, triggers and state-machine tasks point at functions that exist, with the
permission to invoke them; schedules match prefect.yaml; alarms cover every
pipeline; the Glue tables match the tables' Pandera schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandera.polars as pa
import pytest
import yaml

from common import catalog, observability, pipelines
from common.congress import schemas as congress
from common.totesys.schemas import STAR
from tests.shared_data import BUILDROOT

ROOT = Path(BUILDROOT)
TF = ROOT / "terraform"


def tf(name: str) -> str:
    return (TF / name).read_text()


def job_map_keys() -> set[str]:
    """Every job of every tenant's map (the `module "job"` instances)."""
    texts = [p.read_text() for p in TF.glob("*.tf")]
    return {
        job
        for text in texts
        if re.search(r"^  \w+_jobs = \{", text, re.MULTILINE)
        for job in re.findall(r"^    (\w+) = \{$", text, re.MULTILINE)
    }


def test_every_state_machine_task_is_a_deployed_job_the_machine_may_invoke():
    jobs = job_map_keys()
    handlers = {p.parent.name for p in (ROOT / "lambda").glob("*/handler.py")}
    for path in (TF / "pipelines").glob("*.asl.json"):
        called = set(re.findall(r"\$\{functions\.(\w+)\}", path.read_text()))
        assert called and called <= jobs & handlers, path.name
    text = tf("pipelines.tf")
    # the machines get every job's `live` alias, and their role may invoke exactly those
    assert "aliases = { for job, m in module.job : job => m.alias_arn }" in text
    invoke = r'\["lambda:InvokeFunction"\]\n\s+resources = values\(local.aliases\)'
    assert re.search(invoke, text)
    assert "functions        = local.aliases" in text
    publish = r'\["sns:Publish"\]\n\s+resources = \[aws_sns_topic.alerts.arn\]'
    assert re.search(publish, text)


def test_schedules_are_prefect_yamls_deployments():
    """Same names, crons and parameters as the Prefect deployments; the AWS
    expressions written out by hand here (the oracle) for the three crons in use."""
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    prefect = {}
    for d in deployments:
        flow = d["entrypoint"].rsplit(":", 1)[1].replace("_", "-")
        if "schedules" not in d:
            continue  # started by an event (a trigger) or by hand, not a clock
        (schedule,) = d["schedules"]
        assert schedule["timezone"] == "UTC"
        prefect[f"{flow}.{d['name']}"] = (schedule["cron"], d.get("parameters", {}))
    runs = {
        p.name.removesuffix(".json"): json.loads(p.read_text())
        for p in (TF / "pipelines").glob("*.*.json")
        if not p.name.endswith(".asl.json")
    }
    assert set(runs) == set(prefect)
    aws = {
        "0 6 * * *": "cron(0 6 * * ? *)",
        "0 2 * * 0": "cron(0 2 ? * SUN *)",
        "*/30 * * * *": "cron(0/30 * * * ? *)",
        "0 * * * *": "cron(0 * * * ? *)",
    }
    for name, run in runs.items():
        cron, parameters = prefect[name]
        assert run["cron"] == cron, name
        assert run["schedule_expression"] == aws[cron], name
        fact = run["input"]["events"].get("build_fact_transactions")
        if fact is not None:  # the Congress runs: the same rebuild flag
            assert fact.get("rebuild", False) == parameters.get("rebuild", False)
    text = tf("pipelines.tf")
    assert "arn      = aws_sfn_state_machine.pipeline[each.value.pipeline].arn" in text
    assert 'actions   = ["states:StartExecution"]' in text


def test_every_trigger_reaches_a_job_with_the_permission_to_invoke_it():
    text = tf("pipelines.tf")
    block = re.search(r"triggers = \{\n(.*?)\n  \}", text, re.DOTALL)
    assert block
    triggers = dict(re.findall(r"(\w+)\s+= \{ prefix = \"([^\"]+)\"", block[1]))
    assert set(triggers) <= job_map_keys()
    # House and Senate files start their ingest; new packets the Totesys job
    assert triggers["ingest_house_ptr"] == "bronze/house/"
    assert triggers["ingest_senate_ptr"] == "bronze/senate/"
    assert triggers["process_totesys_packets"] == "ingestion/"
    permission = re.search(
        r'"aws_lambda_permission" "object_created" \{(.*?)\n\}', text, re.DOTALL
    )
    assert permission
    for line in (
        "for_each      = local.triggers",
        'principal     = "events.amazonaws.com"',
        'qualifier     = "live"',
        "source_arn    = aws_cloudwatch_event_rule.object_created[each.key].arn",
    ):
        assert line in permission[1], line
    assert "arn      = local.aliases[each.key]" in text  # targets invoke `live`
    assert "eventbridge = true" in tf("buckets.tf")  # S3 tells EventBridge at all
    # writers are one at a time, so a burst of files queues instead of colliding
    module = (TF / "modules" / "table_job_lambda" / "main.tf").read_text()
    assert "reserved_concurrent_executions = 1" in module
    assert "qualifier                    = aws_lambda_alias.live.name" in module


def test_alarms_cover_pipelines_dead_letters_and_stale_tables():
    text = tf("alarms.tf")
    assert "for_each            = aws_sfn_state_machine.pipeline" in text
    assert 'metric_name         = "ExecutionsFailed"' in text
    assert "QueueName = aws_sqs_queue.dead_letter.name" in text
    windows = dict(re.findall(r"^    (\w+) += (\d+)", text, re.MULTILINE))
    every = {"0 6 * * *": 86400, "*/30 * * * *": 1800, "0 * * * *": 3600}
    for pipeline in pipelines.PIPELINES.values():
        last = pipeline.stages[-1][-1]  # the job that finishes what analysts read
        assert last in windows, last
        interval = min(every[r.cron] for r in pipeline.runs.values() if r.cron in every)
        assert int(windows[last]) >= interval  # at least one run fits the window


def test_every_table_job_alarms_before_its_memory_runs_out():
    """Each function built from the table-job module alarms when the peak memory its
    jobs report (the metric the code emits, in MB) passes 80% of its memory_mb."""
    module = (TF / "modules" / "table_job_lambda" / "main.tf").read_text()
    block = re.search(r"^    memory = \{\n(.*?)^    \}", module, re.M | re.S)
    assert block, "no memory alarm in modules/table_job_lambda"
    fields = dict(re.findall(r"^      (\w+) += (.+)$", block.group(1), re.M))
    assert fields["metric"] == f'"{observability.PEAK_MEMORY}"'
    assert fields["statistic"] == '"Maximum"'
    assert fields["threshold"] == "floor(var.memory_mb * 0.8)"
    assert fields["dimensions"] == "{ service = var.name, job = var.name }"
    assert "statistic           = each.value.statistic" in module
    assert "threshold           = each.value.threshold" in module


# The oracle for the catalog: Pandera dtype -> Athena type, written out by hand.
ATHENA = {
    "Int8": "tinyint",
    "Int32": "int",
    "Int64": "bigint",
    "UInt32": "bigint",
    "Float64": "double",
    "String": "string",
    "Boolean": "boolean",
    "Date": "date",
    "Time": "bigint",
    "Decimal(precision=10, scale=2)": "decimal(10,2)",
}
CATALOG = {
    "fact_ptr_transactions": congress.FactPtrTransactions,
    "dim_members": congress.DimMembers,
    "dim_assets": congress.DimAssets,
    "dim_dates": congress.DimDates,
    "trending_stocks": congress.TrendingStocks,
    "trending_stocks_by_chamber": congress.TrendingStocks,
    **STAR,
}


def test_committed_catalog_is_the_generated_one():
    assert (TF / "catalog_tables.tf.json").read_text() == catalog.rendered()


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_glue_table_matches_its_pandera_schema(name):
    model: type[pa.DataFrameModel] = CATALOG[name]
    resources = json.loads(tf("catalog_tables.tf.json"))["resource"]
    table = resources["aws_glue_catalog_table"][name]
    expected = [
        {"name": column, "type": ATHENA[str(spec.dtype.type)]}
        for column, spec in model.to_schema().columns.items()
    ]
    assert table["storage_descriptor"]["columns"] == expected
    assert table["name"] == name
    if name == "fact_ptr_transactions":  # year/month folders, projected: no crawler
        assert [k["name"] for k in table["partition_keys"]] == ["year", "month"]
        assert table["parameters"]["projection.enabled"] == "true"
        assert "year=$${year}/month=$${month}/" in (
            table["parameters"]["storage.location.template"]
        )
