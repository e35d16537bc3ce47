"""Every Pants-built Lambda zip: lean, self-contained, and its sample event answers
with exactly its sample response."""

from __future__ import annotations

import json
import os
import socket
import zipfile
from pathlib import Path

import pytest

from common.storage import Warehouse
from tests.congress_pipeline import ORDER as CONGRESS
from tests.lambda_zip import LAYERS, invoke, layer_path, unpack, zip_path
from tests.shared_data import BUILDROOT, congress_sources, shared_file
from tests.totesys_packets import first_packets

LAMBDA = Path(os.path.dirname(os.path.abspath(__file__))).parent / "lambda"
FORBIDDEN = ("prefect", "pandas", "pyarrow")
TYPING = ("types_", "mypy_boto3_")
ORDER = [*CONGRESS, "process_totesys_packets"]
# the packaged Lambdas (tests/BUILD's LAMBDAS): the pipelines' and the chargebacks
# ones, which run in tests of their own
FUNCTIONS = [*ORDER, "checkpoint_event_log", "update_consolidation"]


def test_every_handler_is_packaged_and_tested():
    """The pipelines' jobs are tested below; any other (a job `new-job` just
    scaffolded) has its own test file."""
    handlers = {p.parent.name for p in LAMBDA.glob("*/handler.py")}
    assert set(ORDER) <= handlers
    for job in handlers - set(ORDER):
        assert Path(BUILDROOT, "tests", f"test_{job}.py").exists(), job


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_zip_holds_only_its_code(function):
    """The requirements are the layers': a code change uploads kilobytes."""
    with zipfile.ZipFile(zip_path(function)) as zf:
        tops = {n.split("/")[0] for n in zf.namelist()}
        unzipped = sum(i.file_size for i in zf.infolist())
    assert tops == {"common", "handler.py", "lambda_function.py"}
    assert unzipped < 1_000_000


def distributions(names: list[str]) -> set[str]:
    return {
        n.split("/")[1].split("-")[0].lower().replace("_", "-")
        for n in names
        if n.count("/") == 2 and n.endswith(".dist-info/METADATA")
    }


def elf_sections(data: bytes) -> set[str]:
    """Section names of a 64-bit little-endian ELF file (its section header table)."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    shoff = int.from_bytes(data[0x28:0x30], "little")
    entsize, count, names_at = (
        int.from_bytes(data[o : o + 2], "little") for o in (0x3A, 0x3C, 0x3E)
    )
    headers = [data[shoff + i * entsize :][:entsize] for i in range(count)]
    names = headers[names_at]
    table = data[int.from_bytes(names[0x18:0x20], "little") :]
    return {
        table[int.from_bytes(h[:4], "little") :].split(b"\0")[0].decode()
        for h in headers
    }


@pytest.mark.parametrize("layer", [*LAYERS, "runtime_sdk"])
def test_layer_holds_what_lambda_loads_and_nothing_else(layer):
    """Under python/ (Lambda's /opt/python); no typing-only distribution, test suite
    or stub; shared libraries without debug symbols; every module with bytecode that
    Python uses without looking at the source's mtime (PEP 552 unchecked hash)."""
    with zipfile.ZipFile(layer_path(layer)) as zf:
        names = zf.namelist()
        assert all(n.startswith("python/") for n in names)
        dists = distributions(names)
        assert not {d for d in dists if d.endswith("-stubs") or d.startswith(TYPING)}
        assert not [n for n in names if "/tests/" in n or n.endswith(".pyi")]
        if layer != "runtime_sdk":  # the runtime's own, never deployed
            assert not dists & {"boto3", "botocore", *FORBIDDEN}, dists
        for lib in [n for n in names if n.endswith(".so")]:
            sections = elf_sections(zf.read(lib))
            assert ".text" in sections and ".dynsym" in sections, lib
            assert not {s for s in sections if s.startswith(".debug")}, lib
            assert ".symtab" not in sections, lib
        sources = [n for n in names if n.endswith(".py")]
        for source in sources:
            folder, _, module = source.rpartition("/")
            pyc = f"{folder}/__pycache__/{module[:-3]}.cpython-311.pyc"
            assert pyc in names, source
        for pyc in [n for n in names if n.endswith(".pyc")][:200]:
            flags = int.from_bytes(zf.read(pyc)[4:8], "little")
            assert flags == 0b01, pyc  # hash-based, source never checked


def test_layers_do_not_overlap():
    """Lambda unpacks every layer into the one /opt: a path in two layers would be
    whichever came last."""
    seen: dict[str, str] = {}
    for layer in LAYERS:
        with zipfile.ZipFile(layer_path(layer)) as zf:
            for name in zf.namelist():
                assert name not in seen, (name, layer, seen.get(name))
                seen[name] = layer


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_and_its_layers_fit_the_budget(function):
    """AWS allows 250 MB unzipped for function plus layers; we keep 50 MB spare."""
    unzipped = 0
    for path in [zip_path(function), *map(layer_path, LAYERS)]:
        with zipfile.ZipFile(path) as zf:
            unzipped += sum(i.file_size for i in zf.infolist())
    assert unzipped < 200 * 1000 * 1000


def sample(function: str) -> tuple[dict, dict]:
    event = json.loads((LAMBDA / function / "event.json").read_text())
    response = json.loads((LAMBDA / function / "response.json").read_text())
    real = {  # the samples name S3; run them on the same files locally
        "ingest_house_ptr": shared_file("congress", "house_all_transactions.json"),
        "ingest_senate_ptr": shared_file("congress", "senate_daily"),
    }
    if function in real:
        event = {"source_uri": real[function], **congress_sources()}
    if function == "build_dim_members":
        event = congress_sources()
    return event, response


def test_samples_answer_exactly_their_responses(tmp_path):
    """Each sample event, run in the flow's order on the real public files the
    samples describe, answers exactly its response.json, values included."""
    wh = Warehouse(str(tmp_path / "wh"))
    first_packets(Warehouse(wh.uri("ingestion")))
    for function in ORDER:
        event, expected = sample(function)
        code = unpack(function, str(tmp_path / function))
        out = invoke(code, function, event, {"WAREHOUSE_URI": wh.root})
        assert "result" in out, (function, out)
        got = out["result"]
        assert got["statusCode"] == expected["statusCode"], (function, got)
        assert json.loads(got["body"]) == json.loads(expected["body"]), function
        # inside Lambda the logs stay Powertools JSON and the metrics EMF
        records = [json.loads(x) for x in out["logs"].splitlines() if x[:1] == "{"]
        assert any(r.get("message") == "job finished" for r in records), function
        assert any("_aws" in r for r in records), function
        # the peak its memory alarm reads, in MB: at least the interpreter's own,
        # at most the process's peak the runner reads once the handler returned
        peaks = [r["PeakMemory"][0] for r in records if "PeakMemory" in r]
        assert len(peaks) == 1, (function, peaks)
        assert 20 < peaks[0] <= out["max_rss_kb"] / 1024 + 0.1, (function, peaks, out)


def test_packaged_ingest_reads_only_under_its_source_roots(tmp_path):
    """A House file outside the warehouse, named by absolute path, file://, a
    bronze/../.. path or http://, is a 400 naming source_uri: nothing is read, no
    request leaves, nothing is written."""
    wh = Warehouse(str(tmp_path / "wh"))
    outside = tmp_path / "outside.json"
    outside.write_bytes(
        Path(shared_file("congress", "house_all_transactions.json")).read_bytes()
    )
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    code = unpack("ingest_house_ptr", str(tmp_path / "code"))
    for uri in [
        str(outside),
        f"file://{outside}",
        f"{wh.root}/bronze/house/../../../outside.json",
        f"http://127.0.0.1:{port}/house.json",
    ]:
        event = {"source_uri": uri, **congress_sources()}
        out = invoke(code, "ingest_house_ptr", event, {"WAREHOUSE_URI": wh.root})
        body = json.loads(out["result"]["body"])
        assert out["result"]["statusCode"] == 400, (uri, body)
        assert body["field"] == "source_uri", body
        assert "outside the source roots" in body["message"] or (
            "scheme http://" in body["message"]
        ), body
    with pytest.raises(TimeoutError):
        listener.accept()  # no GET was ever attempted
    listener.close()
    assert not os.path.exists(os.path.join(wh.root, "silver"))


def test_packaged_ingest_takes_the_s3_object_created_notification(tmp_path):
    """What EventBridge delivers when a House file lands in bronze/house/ (the real
    event's shape, its bucket and key ours): the zip ingests that object from S3."""
    import boto3

    from tests.aws_server import create_state_table, moto_server

    sample = Path(shared_file("lambda_events")) / (
        "powertools_s3EventBridgeNotificationObjectCreatedEvent.json"
    )
    event = json.loads(sample.read_text())
    with moto_server() as aws:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lake")
        create_state_table("state-lake")
        key = "wh/bronze/house/2024.json"
        rows = json.loads(
            Path(shared_file("congress", "house_all_transactions.json")).read_text()
        )[:500]
        s3.put_object(Bucket="lake", Key=key, Body=json.dumps(rows).encode())
        for name in ("legislators-current.yaml", "legislators-historical.csv"):
            body = Path(shared_file("congress", name)).read_bytes()
            s3.put_object(Bucket="lake", Key=f"wh/bronze/legislators/{name}", Body=body)
        event["detail"]["bucket"]["name"] = "lake"
        event["detail"]["object"]["key"] = key
        env = {
            **aws,
            "WAREHOUSE_URI": "s3://lake/wh",
            "STATE_TABLE": "state-lake",
            "SOURCE_ROOTS": "s3://lake/wh/bronze",
        }
        code = unpack("ingest_house_ptr", str(tmp_path / "code"))
        out = invoke(code, "ingest_house_ptr", event, env)
        assert out["result"]["statusCode"] == 200, out
        body = json.loads(out["result"]["body"])
        assert body["files_in"] == 1 and body["rows_in"] == 500
        assert body["silver_rows"] + body["quarantined"] == 500
        listed = s3.list_objects_v2(Bucket="lake", Prefix="wh/silver/")["Contents"]
        assert len(listed) == 1
        # the same notification delivered again: nothing more is written
        again = invoke(code, "ingest_house_ptr", event, env)["result"]
        assert json.loads(again["body"])["files_written"] == 0
