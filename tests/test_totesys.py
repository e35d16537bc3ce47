"""Totesys packets -> star schema: the real dump, updates, replays, gaps, bad events."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import InvalidEvent
from common.jobs import run_job
from common.observability import SERVICE
from common.storage import Warehouse
from common.totesys import packet_store, star
from common.totesys.packet_store import pending
from common.totesys.process_totesys_packets import JOB
from tests.totesys_packets import dump_rows, first_packets, write_packet

LATER = "2025-01-02T03:04:05.678000"


@pytest.fixture
def roots(warehouse):
    return Warehouse(warehouse.uri("ingestion")), Warehouse(warehouse.uri("processed"))


def star_table(processed: Warehouse, name: str) -> pl.DataFrame:
    keys = processed.keys(name, ".parquet")
    return (
        pl.concat([pl.read_parquet(processed.uri(k)) for k in keys])
        if keys
        else pl.DataFrame()
    )


def latest(processed: Warehouse, name: str, key: str) -> pl.DataFrame:
    """What an analyst reads: the newest row per natural key across the deltas."""
    keys = sorted(processed.keys(name, ".parquet"), key=lambda k: k.rsplit("_", 1)[-1])
    frames = [
        pl.read_parquet(processed.uri(k)).with_columns(_obj=pl.lit(i))
        for i, k in enumerate(keys)
    ]
    return (
        pl.concat(frames).sort("_obj").unique(key, keep="last").drop("_obj").sort(key)
    )


def test_real_dump_as_first_packets(warehouse, roots):
    ingestion, processed = roots
    summary = run_job(JOB, {"packets": first_packets(ingestion)})

    facts = star_table(processed, "fact_sales_order")
    assert facts.height == 11_175 == summary["tables"]["fact_sales_order"]["rows_out"]
    assert facts["sales_record_id"].is_unique().all()
    # spot checks computed independently from the raw dump
    orders, currencies = dump_rows("sales_order"), dump_rows("currency")
    code = {c["currency_id"]: c["currency_code"] for c in currencies}
    units: dict[str, int] = {}
    for o in orders:
        units[code[o["currency_id"]]] = (
            units.get(code[o["currency_id"]], 0) + o["units_sold"]
        )
    dim_currency = star_table(processed, "dim_currency")
    got = (
        facts.join(dim_currency, on="currency_id")
        .group_by("currency_code")
        .agg(pl.col("units_sold").sum())
    )
    assert dict(got.iter_rows()) == units
    assert set(dim_currency["currency_name"]) == {"Pound Sterling", "US Dollar", "Euro"}
    leds = {
        d["department_id"] for d in dump_rows("department") if d["location"] == "Leds"
    }
    leds_staff = {
        s["staff_id"] for s in dump_rows("staff") if s["department_id"] in leds
    }
    staff = star_table(processed, "dim_staff")
    assert (
        set(staff.filter(pl.col("location") == "Leds")["staff_id"])
        == leds_staff
        != set()
    )
    raw_null_line2 = sum(a["address_line_2"] is None for a in dump_rows("address"))
    assert (
        star_table(processed, "dim_location")["address_line_2"].null_count()
        == raw_null_line2
    )
    first = orders[0]
    row = facts.filter(pl.col("sales_order_id") == first["sales_order_id"]).row(
        0, named=True
    )
    assert row["unit_price"] == Decimal(str(first["unit_price"])).quantize(
        Decimal("0.01")
    )
    dates = star_table(processed, "dim_date")["date_id"]
    for col in ("created_date", "agreed_payment_date", "agreed_delivery_date"):
        assert facts[col].is_in(dates.implode()).all()
    assert json.loads(json.dumps(summary)) == summary  # as the Lambda returns it


def test_replaying_packets_is_a_no_op(warehouse, roots):
    ingestion, processed = roots
    packets = first_packets(ingestion)
    run_job(JOB, {"packets": packets})
    before = {k: processed.read_bytes(k) for k in processed.keys("")}
    again = run_job(JOB, {"packets": packets})
    assert {p["status"] for p in again["packets"]} == {"skipped"}
    assert {k: processed.read_bytes(k) for k in processed.keys("")} == before
    assert (
        pending(
            __import__("common.jobs", fromlist=["JobContext"]).JobContext.from_env()
        )
        == []
    )


def test_updates_make_new_fact_rows_and_re_emit_dependants(warehouse, roots):
    ingestion, processed = roots
    run_job(JOB, {"packets": first_packets(ingestion)})
    top = star_table(processed, "fact_sales_order")["sales_record_id"].max()
    order = {**dump_rows("sales_order")[0], "unit_price": 9.99, "last_updated": LATER}
    staff = dump_rows("staff")[0]
    new_dept = next(
        d
        for d in dump_rows("department")
        if d["department_id"] != staff["department_id"]
    )
    moved = {**staff, "department_id": new_dept["department_id"], "last_updated": LATER}
    cp = dump_rows("counterparty")[0]
    address = next(
        a for a in dump_rows("address") if a["address_id"] == cp["legal_address_id"]
    )
    changed_address = {**address, "city": "Leeds", "last_updated": LATER}
    summary = run_job(
        JOB,
        {
            "packets": [
                write_packet(ingestion, "sales_order", 2, [order]),
                write_packet(ingestion, "staff", 2, [moved]),
                write_packet(ingestion, "address", 2, [changed_address]),
            ]
        },
    )
    facts = star_table(processed, "fact_sales_order")
    versions = facts.filter(pl.col("sales_order_id") == order["sales_order_id"]).sort(
        "sales_record_id"
    )
    assert versions.height == 2 and versions["sales_record_id"][-1] > top
    assert versions["unit_price"][-1] == Decimal("9.99")
    assert versions["last_updated_date"][-1] == dt.date(2025, 1, 2)
    dim_staff = latest(processed, "dim_staff", "staff_id")
    assert (
        dim_staff.filter(pl.col("staff_id") == staff["staff_id"])[
            "department_name"
        ].item()
        == new_dept["department_name"]
    )
    cps = latest(processed, "dim_counterparty", "counterparty_id")
    assert (
        cps.filter(pl.col("counterparty_id") == cp["counterparty_id"])[
            "counterparty_legal_city"
        ].item()
        == "Leeds"
    )
    assert summary["tables"]["dim_counterparty"]["rows_out"] >= 1
    names = processed.keys("dim_location")
    assert any("_packet_2_processed_20250102T030405678000" in k for k in names)


def test_department_change_re_emits_its_staff(warehouse, roots):
    ingestion, processed = roots
    run_job(JOB, {"packets": first_packets(ingestion)})
    dept = dump_rows("department")[0]
    run_job(
        JOB,
        {
            "packets": [
                write_packet(
                    ingestion,
                    "department",
                    2,
                    [{**dept, "location": "Sheffield", "last_updated": LATER}],
                )
            ]
        },
    )
    members = {
        s["staff_id"]
        for s in dump_rows("staff")
        if s["department_id"] == dept["department_id"]
    }
    staff = latest(processed, "dim_staff", "staff_id")
    assert set(staff.filter(pl.col("location") == "Sheffield")["staff_id"]) == members


def test_gap_then_late_packet(warehouse, roots, caplog):
    ingestion, processed = roots
    run_job(JOB, {"packets": first_packets(ingestion)})
    c = dump_rows("currency")[0]
    newer = {**c, "currency_code": "JPY", "last_updated": LATER}
    older = {**c, "currency_code": "CHF", "last_updated": "2024-01-01T00:00:00"}
    p3 = write_packet(ingestion, "currency", 3, [newer])
    p2 = write_packet(ingestion, "currency", 2, [older])
    first = run_job(JOB, {"packets": [p3]})
    assert first["packets"][0]["status"] == "processed"
    late = run_job(JOB, {"packets": [p2]})
    assert late["packets"][0]["status"] == "processed late"
    # the late packet is kept, but readers still see the newer row as current
    history = star_table(processed, "dim_currency")
    assert set(history["currency_code"]) >= {"JPY", "CHF"}
    now = latest(processed, "dim_currency", "currency_id").filter(
        pl.col("currency_id") == int(c["currency_id"])
    )
    assert now["currency_code"].to_list() == ["JPY"]


@pytest.mark.parametrize(
    "packet,field",
    [
        ({"table": "nope", "id": 1}, "packets.0.table"),
        ({"table": "../sales_order", "id": 1}, "packets.0.table"),
        ({"table": "currency", "id": "1"}, "packets.0.id"),
        ({"table": "currency", "id": 0}, "packets.0.id"),
    ],
)
def test_invalid_events_name_the_field(warehouse, packet, field):
    with pytest.raises(InvalidEvent) as err:
        run_job(JOB, {"packets": [packet]})
    assert err.value.field == field


def test_existing_different_object_is_never_overwritten(warehouse, roots):
    ingestion, processed = roots
    packets = first_packets(ingestion)
    run_job(JOB, {"packets": [p for p in packets if p["table"] == "currency"]})
    key = processed.keys("dim_currency")[0]
    processed.delete([key])
    processed.put_if_absent(key, b"someone else's object")
    from common.jobs import JobContext

    JobContext.from_env().state.put(
        packet_store.STATE, {"processed": {}, "next_sales_record_id": 1}
    )
    with pytest.raises(FileExistsError, match=key):
        run_job(JOB, {"packets": [p for p in packets if p["table"] == "currency"]})


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 1, 1))
)
def test_date_time_split_round_trips(stamp):
    order = {
        "sales_order_id": 1,
        "created_at": stamp.isoformat(),
        "last_updated": stamp.isoformat(),
        "design_id": 1,
        "staff_id": 1,
        "counterparty_id": 1,
        "units_sold": 1,
        "unit_price": 1.5,
        "currency_id": 1,
        "agreed_delivery_date": "2024-01-01",
        "agreed_payment_date": "2024-01-01",
        "agreed_delivery_location_id": 1,
    }
    row = star.fact_sales_order(pl.DataFrame([order]), 1).row(0, named=True)
    assert dt.datetime.combine(row["created_date"], row["created_time"]) == stamp
    assert (
        dt.datetime.combine(row["last_updated_date"], row["last_updated_time"]) == stamp
    )


def test_one_go_equals_one_by_one(tmp_path, monkeypatch):
    results = []
    for mode in ("together", "apart"):
        wh = Warehouse(str(tmp_path / mode))
        monkeypatch.setenv("WAREHOUSE_URI", wh.root)
        ingestion, processed = (
            Warehouse(wh.uri("ingestion")),
            Warehouse(wh.uri("processed")),
        )
        packets = first_packets(ingestion)
        c = dump_rows("currency")[1]
        packets.append(
            write_packet(ingestion, "currency", 2, [{**c, "last_updated": LATER}])
        )
        if mode == "together":
            run_job(JOB, {"packets": packets})
        else:
            for p in sorted(packets, key=lambda p: (p["table"], p["id"])):
                run_job(JOB, {"packets": [p]})
        results.append({k: processed.read_bytes(k) for k in processed.keys("")})
    assert results[0] == results[1]


def test_rows_that_cannot_be_made_valid_are_quarantined(warehouse, roots):
    ingestion, processed = roots
    warnings: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = warnings.append  # type: ignore[method-assign, assignment]
    logging.getLogger(SERVICE).addHandler(handler)
    run_job(JOB, {"packets": first_packets(ingestion)})
    good, bad = dump_rows("sales_order")[:2]
    rows = [
        {**good, "last_updated": LATER},
        {**bad, "units_sold": "lots", "unit_price": -1, "last_updated": LATER},
    ]
    summary = run_job(
        JOB, {"packets": [write_packet(ingestion, "sales_order", 3, rows)]}
    )
    stats = summary["tables"]["fact_sales_order"]
    assert (stats["rows_in"], stats["rows_out"], stats["quarantined"]) == (2, 1, 1)
    quarantine = star_table(processed, "quarantine/fact_sales_order")
    assert quarantine["sales_order_id"].to_list() == [bad["sales_order_id"]]
    assert (
        "units_sold" in quarantine["reason"][0]
        and "unit_price" in quarantine["reason"][0]
    )
    # packet 2 of sales_order never arrived: the warning names it
    logging.getLogger(SERVICE).removeHandler(handler)
    gaps = [
        r for r in warnings if r.getMessage() == "packet ids missing before this one"
    ]
    assert [r.__dict__["missing"] for r in gaps] == [[[2, 2]]]  # as id ranges


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["currency", "design", "department", "address"]),
        min_size=1,
        max_size=4,
    ),
    st.data(),
)
def test_replays_and_batching_never_change_the_tables(tables, data):
    """Updates 2..n processed in one go, one by one, or with replays: same objects."""
    import tempfile

    from common.jobs import JobContext
    from common.settings import Settings
    from common.state import LocalStateStore

    def build(plan: list[list[dict]]) -> dict[str, bytes]:
        with tempfile.TemporaryDirectory() as root:
            wh = Warehouse(root)
            ctx = JobContext(wh, LocalStateStore(root), Settings(root, None, 60))
            ingestion = Warehouse(wh.uri("ingestion"))
            small = [
                "address",
                "counterparty",
                "currency",
                "department",
                "design",
                "staff",
            ]
            firsts = [write_packet(ingestion, t, 1, dump_rows(t)) for t in small]
            run_job(JOB, {"packets": firsts}, ctx)  # the dimension tables' dump
            for i, table in enumerate(tables, start=2):
                row = dump_rows(table)[i % 3]
                write_packet(
                    ingestion,
                    table,
                    i,
                    [{**row, "last_updated": f"2025-01-0{i}T00:00:00"}],
                )
            for batch in plan:
                run_job(JOB, {"packets": batch}, ctx)
            processed = Warehouse(wh.uri("processed"))
            return {k: processed.read_bytes(k) for k in processed.keys("")}

    updates = [{"table": t, "id": i} for i, t in enumerate(tables, start=2)]
    replayed = updates + data.draw(st.lists(st.sampled_from(updates), max_size=3))
    assert (
        build([updates])
        == build([[u] for u in sorted(updates, key=lambda u: (u["table"], u["id"]))])
        == build([replayed, replayed])
    )
