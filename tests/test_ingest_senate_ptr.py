"""ingest_senate_ptr on the 219 real Senate daily reports: every transaction lands
once, the Senate site's oddities become clean columns, members are attributed with and
without the filings' bioguide ids, and Senate rows reach the fact and trending."""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.congress.ingest_senate_ptr import JOB, PAPER_FILINGS
from common.congress.legislators import all_terms
from common.congress.senate_ptr import html_text
from common.congress.silver import scan_silver
from common.congress.tables import (
    QUARANTINE_SENATE_PTR,
    SILVER_PTR,
    trending_key,
)
from common.jobs import run_job
from tests.shared_data import congress_sources, shared_file

# The Senate's data gives Jack Reed (RI) the id of John Reed Sr., a representative of
# 1795-1801; checked by hand against the legislators files.
WRONG_IDS = {"R000120": "R000122"}


def reports() -> list[Path]:
    return sorted(Path(shared_file("congress", "senate_daily")).glob("*.json"))


def source_rows() -> list[dict]:
    """Every transaction of every report, with its filing, read with plain json."""
    rows = []
    for path in reports():
        for filing in json.loads(path.read_text()):
            for i, txn in enumerate(filing["transactions"]):
                doc_id = filing["ptr_link"].rstrip("/").rsplit("/", 1)[-1]
                rows.append({**filing, **txn, "doc_id": doc_id, "txn_index": i})
    return rows


def ingest(uri: str) -> dict:
    return run_job(JOB, {"source_uri": uri, **congress_sources()})


def silver_of(wh) -> pl.DataFrame:
    return pl.read_parquet(wh.uri(f"{SILVER_PTR}/*.parquet"))


@pytest.fixture(scope="module")
def senators() -> set[str]:
    sources = congress_sources()
    terms = all_terms(
        Path(sources["legislators_current_uri"]).read_bytes(),
        Path(sources["legislators_historical_uri"]).read_bytes(),
    )
    return set(terms.filter(pl.col("chamber") == "sen")["bioguide_id"])


def test_every_transaction_lands_once_clean(warehouse):
    summary = ingest(shared_file("congress", "senate_daily"))
    rows = source_rows()
    filings = [f for p in reports() for f in json.loads(p.read_text())]
    assert summary["files_in"] == len(reports()) == 219
    assert summary["rows_in"] == len(rows) == 1751
    assert summary["silver_rows"] + summary["quarantined"] == summary["rows_in"]
    silver = silver_of(warehouse)
    quarantine = pl.read_parquet(warehouse.uri(f"{QUARANTINE_SENATE_PTR}/*.parquet"))
    assert silver.height == summary["silver_rows"]
    assert quarantine.height == summary["quarantined"]
    keys = ["doc_id", "txn_index"]
    both = pl.concat([silver.select(keys), quarantine.select(keys)])
    expected = pl.DataFrame([{k: r[k] for k in keys} for r in rows]).cast(both.schema)
    assert both.sort(keys).equals(expected.sort(keys))  # each exactly once
    # the real quarantined rows: filed before the trade, by the filing's own dates
    assert quarantine["reason"].to_list() == [
        "date_recieved: before transaction_date"
    ] * sum(
        _date(r["date_recieved"]) < _date(r["transaction_date"]) for r in rows
    )
    # paper filings: counted, kept apart, not lost
    paper = [f for f in filings if not f["transactions"]]
    assert summary["empty_filings"] == len(paper) == 62
    kept = pl.read_parquet(warehouse.uri(f"{PAPER_FILINGS}/*.parquet"))
    assert sorted(kept["ptr_link"]) == sorted(f["ptr_link"] for f in paper)

    assert (silver["chamber"] == "senate").all()
    for column in ("ticker", "asset_name", "asset_detail", "filer_name"):
        text = silver[column].drop_nulls()
        assert not text.str.contains(r"<|>|&[a-z]+;|\s\s").any(), column
    by_id = {(r["doc_id"], r["txn_index"]): r for r in rows}
    for doc_id, i, ticker, name, detail, owner, kind, low, high in silver.select(
        "doc_id",
        "txn_index",
        "ticker",
        "asset_name",
        "asset_detail",
        "owner",
        "transaction_type",
        "amount_low",
        "amount_high",
    ).iter_rows():
        src = by_id[(doc_id, i)]
        raw_ticker = re.sub(r"<[^>]+>", "", src["ticker"]).strip()
        assert ticker == (None if raw_ticker in ("--", "") else raw_ticker)
        head, _, block = src["asset_description"].partition("<div")
        assert name == " ".join(head.replace("&amp;", "&").split())
        assert detail == (plain("<div" + block) if block else None)
        assert owner == {"Self": "self", "Spouse": "spouse", "Joint": "joint"}.get(
            src["owner"], "dependent" if src["owner"] == "Child" else "?"
        )
        assert kind == {
            "Purchase": "purchase",
            "Sale (Full)": "sale",
            "Sale (Partial)": "sale_partial",
            "Exchange": "exchange",
        }[src["type"]]
        if src["amount"].startswith("Over"):
            assert (low, high) == (50000001, None)
        else:
            lo, hi = (int(re.sub(r"[$,]", "", x)) for x in src["amount"].split(" - "))
            assert (low, high) == (lo, hi)
    details = silver["asset_detail"].drop_nulls()
    assert details.str.starts_with("Rate/Coupon:").any()  # bonds
    assert details.str.starts_with("Company:").any()  # non-public stock


def plain(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("&amp;", "&")
    return " ".join(text.split())


def _date(text: str) -> tuple[int, int, int]:
    month, day, year = (int(x) for x in text.split("/"))
    return year, month, day


def test_members_with_and_without_the_filings_ids(warehouse, tmp_path, senators):
    summary = ingest(shared_file("congress", "senate_daily"))
    rows = source_rows()
    truth = {
        (r["doc_id"], r["txn_index"]): WRONG_IDS.get(r["bioguide"], r["bioguide"])
        for r in rows
    }
    assert set(truth.values()) <= senators  # the oracle itself names senators only
    silver = silver_of(warehouse)
    got = {(d, i): b for d, i, b in silver.select(keys()).iter_rows()}
    assert all(got[k] == truth[k] for k in got)
    assert summary["resolved_share"] == 1.0
    assert summary["bioguide_corrected"] == sum(
        r["bioguide"] in WRONG_IDS for r in rows
    )

    # The same files with the field removed: the resolver finds the senators
    bare = Path(tmp_path, "warehouse", "bronze", "senate_bare")
    bare.mkdir(parents=True)
    for path in reports():
        filings = json.loads(path.read_text())
        for f in filings:
            del f["bioguide"]
        (bare / path.name).write_text(json.dumps(filings))
    shutil.rmtree(warehouse.uri("silver"))
    ingest(str(bare))
    bare_silver = silver_of(warehouse).select(keys())
    resolved = {(d, i): b for d, i, b in bare_silver.iter_rows()}
    right = sum(resolved[k] == truth[k] for k in resolved)
    print(f"resolver accuracy with bioguide withheld: {right}/{len(resolved)}")
    assert right / len(resolved) >= 0.99


def keys() -> list[str]:
    return ["doc_id", "txn_index", "bioguide_id"]


def test_unknown_ids_are_quarantined_with_the_reason(warehouse):
    path = reports()[0]
    filings = json.loads(path.read_text())
    filings[0]["bioguide"] = "Z999999"
    target = Path(warehouse.root, "bronze", "senate", path.name)
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(filings))
    summary = ingest(str(target))
    quarantine = pl.read_parquet(warehouse.uri(f"{QUARANTINE_SENATE_PTR}/*.parquet"))
    unknown = quarantine.filter(pl.col("reason").str.contains("Z999999"))
    assert unknown.height == len(filings[0]["transactions"]) > 0
    reason = "bioguide: Z999999 is not in the legislators data"
    assert set(unknown["reason"]) == {reason}
    assert summary["silver_rows"] + summary["quarantined"] == summary["rows_in"]


def test_rerun_adds_nothing_and_ids_are_stable(warehouse):
    folder = shared_file("congress", "senate_daily")
    first = ingest(folder)
    files = {k: warehouse.read_bytes(k) for k in warehouse.keys("silver")}
    again = ingest(folder)
    assert again["files_written"] == 0 < first["files_written"]
    assert {k: warehouse.read_bytes(k) for k in warehouse.keys("silver")} == files
    # one report on its own, after the folder: already there, nothing added
    one = ingest(max(glob.glob(os.path.join(folder, "*.json")), key=os.path.getsize))
    assert one["files_written"] == 0 and one["rows_in"] > 0


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(
        st.text(
            alphabet=st.characters(codec="ascii", categories=["L", "N", "P"]),
            min_size=1,
        ).filter(lambda w: not set(w) & set("<>&;")),
        min_size=1,
        max_size=5,
    ),
    wrap=st.sampled_from(["a", "div", "em", "span"]),
)
def test_html_text_keeps_exactly_the_words(words, wrap):
    """Markup and entities around and between any words leave the words, one space
    apart: the oracle is the word list itself."""
    marked = f'<{wrap} class="x">' + "&nbsp;<br> ".join(words) + f"</{wrap}>"
    out = pl.select(html_text(pl.lit(marked))).item()
    assert out == " ".join(words)
    amp = pl.select(html_text(pl.lit(" &amp; ".join(words)))).item()
    assert amp == " & ".join(words)


def test_house_silver_from_before_senate_reads_as_house(warehouse):
    """Silver parts written by the release before Senate ingest have neither
    `chamber` nor `asset_detail`: they read as House rows beside Senate ones."""
    ingest(shared_file("congress", "senate_daily"))
    old = pl.DataFrame(
        {
            "doc_id": ["1"],
            "txn_index": pl.Series([0], dtype=pl.Int32),  # older writers: Int32
            "filer_name": ["A B"],
            "bioguide_id": [None],
            "asset_name": ["X"],
            "ticker": ["X"],
            "transaction_type": ["purchase"],
            "transaction_date": [dt.date(2020, 1, 2)],
        }
    ).with_columns(
        notification_date=pl.col("transaction_date"),
        filing_date=pl.col("transaction_date"),
        amount_low=pl.lit(1001, pl.Int64),
        amount_high=pl.lit(15000, pl.Int64),
        owner=pl.lit("self"),
        silver_ingest_ts=pl.lit(dt.datetime(2024, 1, 1)),
        bioguide_id=pl.lit(None, pl.String),
    )
    warehouse.write_parquet(old, f"{SILVER_PTR}/part-old.parquet")
    read = scan_silver(warehouse).collect()
    assert read.filter(pl.col("doc_id") == "1")["chamber"].to_list() == ["house"]
    assert read.filter(pl.col("doc_id") != "1")["chamber"].unique().to_list() == [
        "senate"
    ]


def test_both_chambers_reach_the_fact_and_trending_splits_by_chamber(warehouse):
    from common.congress import (
        build_dim_assets,
        build_dim_dates,
        build_dim_members,
        compute_trending_stocks,
        ingest_house_ptr,
    )
    from common.congress import build_fact_transactions as fact_job

    sources = congress_sources()
    house = shared_file("congress", "house_all_transactions.json")
    run_job(ingest_house_ptr.JOB, {"source_uri": house, **sources})
    senate = ingest(shared_file("congress", "senate_daily"))
    run_job(build_dim_members.JOB, sources)
    run_job(build_dim_assets.JOB, {})
    run_job(build_dim_dates.JOB, {})
    run_job(fact_job.JOB, {"rebuild": True})
    fact = pl.read_parquet(warehouse.uri("gold/facts/ptr_transactions/**/*.parquet"))
    senate_rows = fact.filter(pl.col("chamber") == "senate")
    assert senate_rows.height == senate["silver_rows"]
    assert (senate_rows["member_key"] > 0).all()  # every senator is in dim_members

    as_of = "2015-06-30"  # inside the Senate reports' years
    out = {}
    for chamber in (None, "house", "senate"):
        event = {"as_of_date": as_of} | ({"chamber": chamber} if chamber else {})
        summary = run_job(compute_trending_stocks.JOB, event)
        assert summary["chamber"] == (chamber or "both")
        key = trending_key(as_of, chamber)
        out[chamber] = pl.read_parquet(warehouse.uri(key))
    assert out["senate"].height > 0
    counts = {
        c: dict(
            zip(
                out[c].select(pl.concat_str("window", "ticker")).to_series(),
                out[c]["total_transactions"],
                strict=True,
            )
        )
        for c in out
    }
    assert set(counts["house"]) | set(counts["senate"]) == set(counts[None])
    for cell, total in counts[None].items():  # each chamber's trades, added up
        assert total == counts["house"].get(cell, 0) + counts["senate"].get(cell, 0)
