"""Malformed events and source files, through the handlers' own adapter: each is a
400 naming the field (or its rows land in quarantine with the reason), and no object
is written by a refused call."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.congress import demo_data
from common.congress.build_dim_assets import JOB as ASSETS_JOB
from common.congress.build_dim_dates import JOB as DATES_JOB
from common.congress.build_dim_members import JOB as MEMBERS_JOB
from common.congress.build_fact_transactions import JOB as FACT
from common.congress.compute_trending_stocks import JOB as TRENDING
from common.congress.ingest_house_ptr import JOB as INGEST
from common.jobs import TableJob, handle_event
from common.storage import Warehouse
from common.totesys.process_totesys_packets import JOB as TOTESYS
from common.totesys.sources import SOURCES
from tests.shared_data import shared_file
from tests.snapshots import objects
from tests.totesys_packets import write_packet

ALL: list[TableJob[Any]] = [
    FACT,
    INGEST,
    TRENDING,
    MEMBERS_JOB,
    ASSETS_JOB,
    DATES_JOB,
    TOTESYS,
]
JOBS = {j.name: j for j in ALL}


def refused(job: TableJob[Any], event: Any, wh: Warehouse) -> str:
    """The field a 400 names; fails if the call answered otherwise or wrote."""
    before = objects(wh, state=False)
    response = handle_event(job, event)
    assert response["statusCode"] == 400, response
    assert objects(wh, state=False) == before
    return json.loads(response["body"])["field"]


@pytest.fixture
def demo(warehouse):
    demo_data.generate(warehouse, rows=300, members=5, assets=20, seed=61)
    bronze = Path(warehouse.root, "bronze", "house")
    bronze.mkdir(parents=True)
    return warehouse


OUTSIDE = "/etc/passwd"
FACT_, TREND, INGEST_, MEMBERS, PACKETS = (
    "build_fact_transactions",
    "compute_trending_stocks",
    "ingest_house_ptr",
    "build_dim_members",
    "process_totesys_packets",
)


def packet(table: Any, id_: Any, **extra: Any) -> dict[str, Any]:
    return {"packets": [{"table": table, "id": id_, **extra}]}


EVENTS = [
    # not an object at all (a Lambda payload may be any JSON value)
    (FACT_, "not json", "event"),
    (FACT_, ["rebuild"], "event"),
    (PACKETS, 42, "event"),
    # wrong types, unknown fields, contradictions, dates out of range
    (FACT_, {"rebuild": "maybe"}, "rebuild"),
    (FACT_, {"rebuild": [True]}, "rebuild"),
    (FACT_, {"since_date": "yesterday"}, "since_date"),
    (FACT_, {"since_date": 20241201.5}, "since_date"),
    (FACT_, {"since_date": {"y": 2024}}, "since_date"),
    (FACT_, {"since_date": "2024-02-30"}, "since_date"),
    (FACT_, {"since_date": "2999-01-01"}, "since_date"),
    (FACT_, {"rebuild": True, "since_date": "2024-01-01"}, "since_date"),
    (FACT_, {"rebiuld": True}, "rebiuld"),
    (TREND, {"as_of_date": "soon"}, "as_of_date"),
    (TREND, {"as_of_date": "2024-13-01"}, "as_of_date"),
    (TREND, {"as_of_date": None, "x": 1}, "x"),
    ("build_dim_dates", {"years": 3}, "years"),
    ("build_dim_assets", {"rebuild": True}, "rebuild"),
    # path tricks and other schemes: only the source roots may be read
    (INGEST_, {"source": "aws.s3", "detail-type": "Object Deleted"}, "event"),
    (INGEST_, {"source": "aws.s3", "detail-type": "Object Created"}, "event"),
    (INGEST_, {"source_uri": 7}, "source_uri"),
    (INGEST_, {"source_uri": ""}, "source_uri"),
    (INGEST_, {"source_uri": OUTSIDE}, "source_uri"),
    (INGEST_, {"source_uri": f"file://{OUTSIDE}"}, "source_uri"),
    (INGEST_, {"source_uri": "{bronze}/../../../etc/passwd"}, "source_uri"),
    (INGEST_, {"source_uri": "{bronze}/house/../../x.json"}, "source_uri"),
    (INGEST_, {"source_uri": "http://127.0.0.1:9/h.json"}, "source_uri"),
    (INGEST_, {"source_uri": "https://example.com/h.json"}, "source_uri"),
    (INGEST_, {"source_uri": "s3://elsewhere/h.json"}, "source_uri"),
    (INGEST_, {"source_uri": "{bronze}/house"}, "source_uri"),
    (INGEST_, {"source_uri": "{bronze}/house/none.json"}, "source_uri"),
    (
        INGEST_,
        {"source_uri": "{bronze}/h.json", "legislators_current_uri": "/etc/hosts"},
        "legislators_current_uri",
    ),
    (MEMBERS, {"legislators_historical_uri": OUTSIDE}, "legislators_historical_uri"),
    (MEMBERS, {"legislators_current_uri": "ftp://x/y"}, "legislators_current_uri"),
    # Totesys packets: unknown tables, bad ids, missing packets
    (PACKETS, {"packets": None, "x": 1}, "x"),
    (PACKETS, {"packets": "all"}, "packets"),
    (PACKETS, {"packets": [{}]}, "packets.0.table"),
    (PACKETS, packet("nope", 1), "packets.0.table"),
    (PACKETS, packet("../staff", 1), "packets.0.table"),
    (PACKETS, packet("staff", 0), "packets.0.id"),
    (PACKETS, packet("staff", -4), "packets.0.id"),
    (PACKETS, packet("staff", "1"), "packets.0.id"),
    (PACKETS, packet("staff", 1.5), "packets.0.id"),
    (PACKETS, packet("staff", 2**31), "packets.0.id"),
    (PACKETS, packet("sales_order", 10**10), "packets.0.id"),
    (PACKETS, packet("staff", 1, x=0), "packets.0.x"),
    (PACKETS, packet("staff", 99), "packets.0"),
]


def fill(event: Any, wh: Warehouse) -> Any:
    if isinstance(event, dict):
        bronze = os.path.join(wh.root, "bronze")
        return {
            k: v.replace("{bronze}", bronze) if isinstance(v, str) else v
            for k, v in event.items()
        }
    return event


@pytest.mark.parametrize("job,event,field", EVENTS)
def test_malformed_events_are_refused_naming_the_field(demo, job, event, field):
    (Path(demo.root) / "bronze" / "h.json").write_text("[]")
    assert refused(JOBS[job], fill(event, demo), demo) == field


def test_there_are_forty_of_them():
    assert len(EVENTS) >= 40


SOURCE_FILES = [
    (b'[{"transaction_date": "01/02/2024"', "not a JSON array"),  # truncated
    ("[{}]".encode("utf-16"), "not a JSON array"),  # wrong encoding
    (b"\xff\xfe\x00garbage", "not a JSON array"),
    (b'[{"ticker": "AAPL"}]', "rows lack the fields"),  # missing columns
    (b'{"rows": []}', "rows lack the fields"),  # an object, not an array
]


@pytest.mark.parametrize("content,problem", SOURCE_FILES)
def test_malformed_house_files_are_refused(demo, content, problem):
    path = Path(demo.root, "bronze", "house", "bad.json")
    path.write_bytes(content)
    event = {"source_uri": str(path), **legislators()}
    before = objects(demo, state=False)
    response = handle_event(INGEST, event)
    body = json.loads(response["body"])
    assert response["statusCode"] == 400 and body["field"] == "source_uri", body
    assert problem in body["message"]
    assert objects(demo, state=False) == before


def legislators() -> dict[str, str]:
    return {
        "legislators_current_uri": shared_file("congress", "legislators-current.yaml"),
        "legislators_historical_uri": shared_file(
            "congress", "legislators-historical.csv"
        ),
    }


@pytest.mark.parametrize(
    "field,content",
    [
        ("legislators_current_uri", b"- just\n- strings\n"),  # today: KeyError 'name'
        ("legislators_current_uri", b"- name: {first: A}\n"),  # no id, no terms
        ("legislators_current_uri", b"key: [unclosed\n"),
        ("legislators_historical_uri", b"a,b\n1,2\n"),  # the wrong columns
    ],
)
def test_legislator_files_of_the_wrong_shape_name_their_field(demo, field, content):
    path = Path(demo.root, "bronze", "legislators.bad")
    path.write_bytes(content)
    event = {**legislators(), field: str(path)}
    before = objects(demo, state=False)
    response = handle_event(MEMBERS_JOB, event)
    body = json.loads(response["body"])
    assert response["statusCode"] == 400 and body["field"] == field, body
    assert objects(demo, state=False) == before


@pytest.mark.parametrize(
    "content,field",
    [
        (b'{"staff_id": 1, "last_updated": "2024-01-01"', "packets.0"),  # truncated
        ('{"staff_id": 1}'.encode("utf-16"), "packets.0"),
        (b'{"first_name": "A", "last_updated": "2024-01-01"}', "packets.0"),  # no key
    ],
)
def test_malformed_packets_are_refused_before_anything_is_written(
    warehouse, content, field
):
    ingestion = Warehouse(warehouse.uri("ingestion"))
    ingestion.put_if_absent("staff/staff_packet_1.jsonl", content)
    before = objects(warehouse, state=False)
    assert refused(TOTESYS, packet("staff", 1), warehouse) == field
    assert objects(warehouse, state=False) == before


valid_id = st.integers(1, 2**31 - 1)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.integers(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    table=st.one_of(st.sampled_from(sorted(SOURCES)), junk),
    id_=st.one_of(valid_id, junk),
)
def test_any_malformed_packet_reference_is_a_400_naming_it(warehouse, table, id_):
    known = isinstance(table, str) and table in SOURCES
    exact_int = isinstance(id_, int) and not isinstance(id_, bool)
    if known and exact_int and 1 <= id_ < 2**31:  # simply not there
        field = "packets.0"
    elif not known:
        field = "packets.0.table"
    else:
        field = "packets.0.id"
    assert refused(TOTESYS, packet(table, id_), warehouse) == field


def test_a_real_packet_with_bad_rows_quarantines_them(warehouse):
    ingestion = Warehouse(warehouse.uri("ingestion"))
    stamp = "2022-11-03 14:20:49.962"
    rows = [
        {"currency_id": i, "currency_code": code, "created_at": stamp,
         "last_updated": stamp}
        for i, code in [(1, "GBP"), (2, "XXX")]  # XXX: no ISO currency name
    ]
    write_packet(ingestion, "currency", 1, rows)
    response = handle_event(TOTESYS, packet("currency", 1))
    stats = json.loads(response["body"])["tables"]["dim_currency"]
    assert (stats["rows_out"], stats["quarantined"]) == (1, 1)
