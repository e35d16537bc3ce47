"""Terraform stays fmt-clean and checkov-clean, and every Lambda has its instance."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TF = os.path.join(ROOT, "terraform")
# Built by Pants from 3rdparty/checkov (its own resolve) and put in the sandbox.
CHECKOV_PEX = os.path.join(ROOT, "checkov.pex")


def test_terraform_fmt():
    terraform = shutil.which("terraform")
    if not terraform:
        pytest.skip("terraform CLI not on PATH: fmt check not run")
    proc = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", TF],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_checkov_passes_and_every_skip_has_a_reason(tmp_path):
    for path in glob.glob(os.path.join(TF, "**", "*.tf"), recursive=True):
        for skip in re.findall(r"#checkov:skip=(.*)", Path(path).read_text()):
            check, _, reason = skip.partition(":")
            assert re.fullmatch(r"CKV2?_AWS_\d+", check) and len(reason) > 20, (
                path,
                skip,
            )
    if not os.path.exists(CHECKOV_PEX):
        pytest.skip("no checkov.pex: run this test with `./pants test`")
    proc = subprocess.run(
        [
            sys.executable,
            CHECKOV_PEX,
            "-d",
            TF,
            "--framework",
            "terraform",
            "--compact",
            "--quiet",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PEX_ROOT": str(tmp_path / "pex_root")},
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert "Failed checks: 0" in proc.stdout


def test_every_lambda_has_a_terraform_instance():
    handlers = {p.parent.name for p in Path(ROOT, "lambda").glob("*/handler.py")}
    tf = "".join(p.read_text() for p in Path(TF).glob("*.tf"))
    # jobs are keys of a `<tenant>_jobs` map that a for_each module instantiates
    instances = set(re.findall(r"^    (\w+) = \{$", tf, flags=re.MULTILINE))
    # a queue consumer is a function of its own (terraform/chargebacks.tf)
    instances |= set(re.findall(r"lambda\.(\w+)/lambda\.zip", tf))
    assert handlers and handlers <= instances
    assert "lambda.${each.key}/lambda.zip" in tf


def test_every_function_gets_the_layers_the_tests_run_it_with():
    """The layers Terraform publishes and attaches, in order, are the ones the zip
    tests lay out in /opt (tests/lambda_zip.py), and each is a layer lambda/BUILD
    builds; a layer's new version follows its bytes."""
    from tests.lambda_zip import LAYERS

    layers = Path(TF, "layers.tf").read_text()
    declared = re.search(r"^  layers = \[(.*)\]$", layers, re.MULTILINE)
    assert declared and re.findall(r'"(\w+)"', declared[1]) == list(LAYERS)
    assert "source_code_hash         = filebase64sha256(each.value)" in layers
    assert '"${var.dist_dir}/lambda/${layer}.zip"' in layers
    build = Path(ROOT, "lambda", "BUILD").read_text()
    built = re.findall(r'python_lambda_layer\(\n    name="(\w+)"', build)
    assert set(LAYERS) < set(built)
    jobs = Path(TF, "jobs.tf").read_text()
    attach = "layers               = [for layer in local.layers : "
    assert attach + "aws_lambda_layer_version.this[layer].arn]" in jobs
    module = Path(TF, "modules", "table_job_lambda", "main.tf").read_text()
    assert re.search(r"^  layers += var.layers$", module, re.MULTILINE)


def test_every_job_has_its_own_memory_setting():
    """Sized per job from measured peaks (README), within Lambda's 128-10,240 MB."""
    texts = [p.read_text() for p in Path(TF).glob("*.tf")]
    tenant_map = re.compile(r"^  \w+_jobs = \{\n(.*?)^  \}", re.MULTILINE | re.DOTALL)
    maps = "".join(m for text in texts for m in tenant_map.findall(text))
    jobs = re.findall(
        r"^    (\w+) = \{\n(.*?)^    \}", maps, flags=re.MULTILINE | re.DOTALL
    )
    handlers = {p.parent.name for p in Path(ROOT, "lambda").glob("*/handler.py")}
    consumer = Path(TF, "chargebacks.tf").read_text()
    sized = r"lambda\.update_consolidation/lambda\.zip.*?memory_mb\s+= (\d+)"
    own = re.search(sized, consumer, re.DOTALL)
    assert own and 128 <= int(own[1]) <= 10_240
    assert {job for job, _ in jobs} == handlers - {"update_consolidation"}
    for job, body in jobs:
        memory = re.search(r"memory_mb\s*=\s*(\d+)", body)
        assert memory and 128 <= int(memory[1]) <= 10_240, job
    module = Path(TF, "jobs.tf").read_text()
    assert "memory_mb            = each.value.memory_mb" in module
