"""The chargebacks Terraform cross-checked statically against the code (the AWS
provider cannot be downloaded here): handlers, environment variables, IAM actions
and prefixes are the ones the code uses."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from common.chargebacks import checkpoint_event_log as checkpoint
from common.chargebacks import store
from tests.shared_data import BUILDROOT

ROOT = Path(BUILDROOT)
TF = (ROOT / "terraform" / "chargebacks.tf").read_text()
MODULE_DIR = ROOT / "terraform" / "modules" / "kafka_consumer_lambda"
MODULE = (MODULE_DIR / "main.tf").read_text()


def block(kind: str, name: str, label: str, text: str = TF) -> str:
    pattern = rf'^{kind} "{name}"(?: "{label}")? \{{.*?^\}}$'
    if kind == "module":
        pattern = rf'^module "{name}" \{{.*?^\}}$'
    match = re.search(pattern, text, re.MULTILINE | re.DOTALL)
    assert match, (kind, name, label)
    return match[0]


def consumer() -> str:
    return block("module", "update_consolidation", "")


def module_block(name: str) -> str:
    return block("resource", name, "this", MODULE)


def environ_reads() -> set[str]:
    """Every environment variable the Lambda code reads by name."""
    names = set()
    for path in [*ROOT.glob("common/**/*.py"), *ROOT.glob("lambda/*/handler.py")]:
        text = path.read_text()
        names |= set(re.findall(r'os\.environ(?:\.get\(|\[)"(\w+)"', text))
    return names


def client_calls(cls: str, methods: set[str]) -> set[str]:
    """The DynamoDB API calls (as IAM actions) `cls`'s `methods` make."""
    tree = ast.parse(Path(store.__file__).read_text())
    (klass,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    calls = set()
    for fn in klass.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name in methods):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if isinstance(owner, ast.Attribute) and owner.attr == "client":
                    if node.func.attr == "get_paginator":
                        calls.add(node.args[0].value)  # type: ignore[attr-defined]
                    else:
                        calls.add(node.func.attr)
    return {"dynamodb:" + "".join(w.title() for w in c.split("_")) for c in calls}


def test_the_consumer_function_runs_the_zip_pants_builds():
    call = consumer()
    assert (ROOT / "lambda" / "update_consolidation" / "handler.py").exists()
    assert 'zip_path           = "${var.dist_dir}/lambda.update_consolidation/' in call
    assert "layers             = [for layer in local.layers" in call
    fn = module_block("aws_lambda_function")
    assert "handler                        = var.handler" in fn
    assert "layers                         = var.layers" in fn
    variables = (MODULE_DIR / "variables.tf").read_text()
    default = r'variable "handler" \{[^}]*default += "lambda_function.handler"'
    assert re.search(default, variables)


def test_environment_is_what_the_code_reads():
    fn = module_block("aws_lambda_function")
    env = set(re.findall(r"^      (\w+) += ", fn, re.MULTILINE))
    given = r"environment += \{ (\w+) = aws_dynamodb_table.chargebacks.name \}"
    passed = re.search(given, consumer())
    assert passed
    env.add(passed[1])
    reads = environ_reads()
    assert "CHARGEBACKS_TABLE" in env and "CHARGEBACKS_TABLE" in reads
    assert env <= reads, env - reads  # nothing set that no code reads


def test_the_consumer_may_make_exactly_the_calls_its_store_makes():
    policy = block("data", "aws_iam_policy_document", "consumer")
    passed = "policy_json        = data.aws_iam_policy_document.consumer.json"
    assert passed in consumer()
    assert "dynamodb" not in MODULE  # the module grants no table of its own
    granted = set(re.findall(r'"(dynamodb:\w+)"', policy))
    used = client_calls("DynamoStore", {"key_pages", "executions", "stamp"})
    assert used == granted
    assert used == {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"}
    # the Query on the index the code names, which projects keys only
    assert f'"${{aws_dynamodb_table.chargebacks.arn}}/index/{store.INDEX}"' in policy
    table = block("resource", "aws_dynamodb_table", "chargebacks")
    assert f'name            = "{store.INDEX}"' in table
    assert 'projection_type = "KEYS_ONLY"' in table
    assert 'hash_key                    = "chargeback_id"' in table
    assert 'range_key                   = "created_at"' in table
    for setting in ("deletion_protection_enabled = true", "kms_key_arn"):
        assert setting in table
    assert re.search(r"point_in_time_recovery \{\n\s+enabled = true", table)


def test_the_event_source_mapping_reports_partial_failures_to_s3():
    esm = module_block("aws_lambda_event_source_mapping")
    assert 'function_response_types = ["ReportBatchItemFailures"]' in esm
    assert "batch_size              = var.batch_size" in esm
    assert "maximum_retry_attempts  = var.maximum_retry_attempts" in esm
    assert "provisioned_poller_config" in esm
    assert "destination_arn = var.failure_bucket_arn" in esm
    assert '"VPC_SUBNET"' in esm and '"VPC_SECURITY_GROUP"' in esm
    assert "failure_bucket_arn = aws_s3_bucket.failed_batches.arn" in consumer()
    variables = (MODULE_DIR / "variables.tf").read_text()
    assert re.search(r'variable "batch_size" \{[^}]*default = 100', variables)
    # the role may write there; alarms on the lag and on anything landing there
    consume = block("data", "aws_iam_policy_document", "consume", MODULE)
    assert '"s3:PutObject", "s3:ListBucket"' in consume
    assert 'metric_name         = "OffsetLag"' in MODULE
    assert 'resource "aws_cloudwatch_metric_alarm" "failed_batches"' in TF
    assert "FilterId = aws_s3_bucket_metric.failed_batches.name" in TF


def test_the_checkpoint_job_may_touch_what_it_reads_and_writes():
    entry = re.search(r"checkpoint_event_log = \{(.*?)\n    \}", TF, re.DOTALL)
    assert entry
    def prefixes(field: str) -> list[str]:
        listed = re.search(rf"{field} += \[(.*)\]", entry[1])
        assert listed, field
        return re.findall(r'"([^"]+)"', listed[1])

    read, write = prefixes("read_prefixes"), prefixes("write_prefixes")
    for key in (checkpoint.BRONZE, checkpoint.EVENTS, checkpoint.CHECKPOINT):
        assert any((key + "/").startswith(p) for p in read), key
    for key in (checkpoint.EVENTS, checkpoint.CHECKPOINT, checkpoint.QUARANTINE):
        assert any((key + "/").startswith(p) for p in write), key
    triggers = (ROOT / "terraform" / "pipelines.tf").read_text()
    assert f'checkpoint_event_log    = {{ prefix = "{checkpoint.BRONZE}"' in triggers
