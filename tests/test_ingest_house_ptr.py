"""ingest_house_ptr on the real House file, and the member resolver on altered names."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.congress.house_ptr import parse
from common.congress.ingest_house_ptr import JOB
from common.congress.legislators import all_terms
from common.congress.member_resolver import MemberResolver
from common.congress.tables import QUARANTINE_PTR, SILVER_PTR
from common.errors import InvalidEvent
from common.jobs import run_job
from tests.shared_data import congress_sources, shared_file


def ingest(wh, source: str) -> dict:
    return run_job(JOB, {"source_uri": source, **congress_sources()})


def test_real_file_every_row_lands_once_and_resolves(warehouse):
    source = shared_file("congress", "house_all_transactions.json")
    summary = ingest(warehouse, source)
    rows_in = len(json.loads(Path(source).read_text()))
    assert summary["rows_in"] == rows_in
    assert summary["silver_rows"] + summary["quarantined"] == rows_in
    silver = pl.read_parquet(warehouse.uri(f"{SILVER_PTR}/*.parquet"))
    quarantine = pl.read_parquet(warehouse.uri(f"{QUARANTINE_PTR}/*.parquet"))
    assert silver.height + quarantine.height == rows_in
    reasons = quarantine["reason"]
    assert reasons.str.contains("exact duplicate").sum() == 36
    assert reasons.str.contains("transaction_date: in the future").sum() >= 1  # 2202
    assert reasons.str.contains("before the STOCK Act").sum() >= 1  # 1935
    assert reasons.str.contains("before transaction_date").sum() >= 1
    assert summary["resolved_share"] == 1.0  # as the README states
    assert summary["unresolved_names"] == sorted(
        set(silver.filter(pl.col("bioguide_id").is_null())["filer_name"])
    )
    assert silver.select("doc_id", "txn_index").is_unique().all()
    # the real oddities of the amount field
    assert silver.filter(pl.col("amount_low") == 15001)[
        "amount_high"
    ].unique().to_list() == [50000]
    assert (
        silver.filter(pl.col("amount_high").is_null()).height == 0
        or silver.filter(pl.col("amount_high").is_null())["amount_low"].min()
        == 50000001
    )


def test_reingesting_the_same_file_adds_nothing(warehouse):
    source = shared_file("congress", "house_all_transactions.json")
    first = ingest(warehouse, source)
    files = {k: warehouse.read_bytes(k) for k in warehouse.keys("silver")}
    again = ingest(warehouse, source)
    assert first["files_written"] == 2 and again["files_written"] == 0
    assert {k: warehouse.read_bytes(k) for k in warehouse.keys("silver")} == files
    # a changed file is new data: its rows keep their transaction indexes
    rows = json.loads(Path(source).read_text())
    changed = Path(warehouse.root) / "bronze" / "house" / "changed.json"
    changed.parent.mkdir(parents=True)
    changed.write_text(json.dumps([*rows, {**rows[0], "amount": "$1,001 - $15,000"}]))
    ingest(warehouse, str(changed))
    silver = pl.read_parquet(warehouse.uri(f"{SILVER_PTR}/*.parquet"))
    parts = silver.partition_by("silver_ingest_ts")
    assert len(parts) == 2
    cols = ["doc_id", "txn_index", "asset_name", "transaction_date"]
    common = parts[0].select(cols).join(parts[1].select(cols), on=cols, how="semi")
    assert common.height == min(p.height for p in parts)


def test_parse_brackets_and_dates():
    raw = pl.DataFrame(
        {
            "transaction_date": [
                "01/02/2024",
                "01/02/2024",
                "13/45/2024",
                "01/02/2024",
            ],
            "disclosure_date": ["01/20/2024", "01/20/2024", "01/20/2024", "01/01/2024"],
            "ticker": ["AAPL", "--", "", "X"],
            "asset_description": ["A", "B", "C", "D"],
            "type": ["Purchase", "Sale (Partial)", "Exchange", "Sale"],
            "amount": [
                "$1,001 -\n$15,000",
                "$15,001 -",
                "$1,118.07",
                "Over $50,000,000",
            ],
            "representative": ["A"] * 4,
            "district": ["NJ07", "AK00", "CA31", "TX11"],
            "owner": ["Self", "Dependent Child", "Joint", "Spouse"],
            "filing_id": ["1", "1", "2", "2"],
        }
    )
    p = parse(raw, dt.date(2026, 1, 1))
    assert p["amount_low"].to_list() == [1001, 15001, 1118, 50000001]
    assert p["amount_high"].to_list() == [15000, 50000, 1119, None]
    assert p["ticker"].to_list() == ["AAPL", None, None, "X"]
    assert p["transaction_type"].to_list() == [
        "purchase",
        "sale_partial",
        "exchange",
        "sale",
    ]
    assert p["owner_parsed"].to_list() == ["self", "dependent", "joint", "spouse"]
    assert p["txn_index"].to_list() == [0, 1, 0, 1]
    assert p["district_no"].to_list() == [7, 0, 31, 11]
    assert p["reason"][0] is None and p["reason"][1] is None
    assert "transaction_date: not a MM/DD/YYYY date" in p["reason"][2]
    assert "disclosure_date: before transaction_date" in p["reason"][3]


def test_bad_source_is_an_invalid_event(warehouse):
    bronze = Path(warehouse.root) / "bronze" / "house"
    bronze.mkdir(parents=True)
    (bronze / "bad.json").write_text("{not json")
    for name, problem in [("bad.json", "not a JSON array"), ("none.json", "no object")]:
        with pytest.raises(InvalidEvent) as err:
            ingest(warehouse, str(bronze / name))
        assert err.value.field == "source_uri" and problem in str(err.value)
    assert warehouse.keys(SILVER_PTR) == []


@pytest.fixture(scope="module")
def house_members():
    current = Path(shared_file("congress", "legislators-current.yaml")).read_bytes()
    historical = Path(
        shared_file("congress", "legislators-historical.csv")
    ).read_bytes()
    resolver = MemberResolver(all_terms(current, historical))
    members = []
    for m in yaml.safe_load(current):
        last = m["terms"][-1]
        if last["type"] == "rep":
            start = dt.date.fromisoformat(last["start"])
            end = dt.date.fromisoformat(last["end"])
            members.append(
                (m["id"]["bioguide"], m["name"], last["state"], last["district"])
                + (start, end)
            )
    return resolver, members


def given_names(name: dict) -> set[str]:
    return {name[k].casefold() for k in ("first", "middle", "nickname") if name.get(k)}


ACCENTED = str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_resolver_survives_altered_names_and_seats(house_members, data):
    resolver, members = house_members
    bioguide, name, state, district, start, end = data.draw(st.sampled_from(members))
    parts = [
        name.get("nickname")
        if data.draw(st.booleans()) and name.get("nickname")
        else name["first"]
    ]
    if name.get("middle") and data.draw(st.booleans()):
        parts.append(name["middle"])  # otherwise the middle name is dropped
    parts.append(name["last"])
    if data.draw(st.booleans()):
        parts.insert(
            data.draw(st.integers(0, len(parts))),
            data.draw(st.sampled_from(["Mr.", "Mrs", "Hon.", "Dr."])),
        )
    altered = " ".join(parts)
    altered = data.draw(
        st.sampled_from([str.upper, str.lower, str.title, lambda s: s])
    )(altered)
    if data.draw(st.booleans()):
        altered = altered.translate(ACCENTED)
    # The real file has filers with their exact seat, with none, and with a stale one
    # (a district renumbered since, or an old seat): the trade date still places them.
    seat = data.draw(st.sampled_from(["exact", "none", "stale"]))
    if seat == "none":
        state, district = "", None
    elif seat == "stale":
        district = (district or 0) + data.draw(st.integers(1, 5))
    # a trade while they serve: within their term (a member seated by a special
    # election may have served only weeks, so 600 days on may be after it ended)
    serving = min(600, (end - start).days)
    on = start + dt.timedelta(days=data.draw(st.integers(0, serving)))
    got = resolver.resolve(altered, state, district, on)
    # Members another current rep could be mistaken for (same last and given name):
    # without the exact seat, refusing to choose is right; choosing wrong never is.
    namesakes = [
        b
        for b, n, *_ in members
        if b != bioguide
        and n["last"].casefold() == name["last"].casefold()
        and given_names(n) & given_names(name)
    ]
    if seat != "exact" and namesakes:
        assert got in {bioguide, None}, (altered, seat, got)
    else:
        assert got == bioguide, (altered, seat, state, district)
