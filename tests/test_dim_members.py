"""dim_members SCD2: invariants under random histories and snapshots, and real data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from common.congress import dim_members
from common.congress.legislators import TERM_SCHEMA, all_terms, current_terms
from common.congress.schemas import DimMembers
from tests.shared_data import shared_file

D0 = dt.date(2000, 1, 3)
PARTIES, STATES = ["Democrat", "Republican", "Independent"], ["CA", "TX"]
attrs = st.tuples(
    st.sampled_from(PARTIES), st.sampled_from(STATES), st.sampled_from([1, 2, None])
)


@st.composite
def terms(draw) -> pl.DataFrame:
    rows = []
    for i in range(draw(st.integers(1, 4))):
        start = D0 + dt.timedelta(days=draw(st.integers(0, 100)))
        for _ in range(draw(st.integers(1, 5))):
            party, state, district = draw(attrs)
            end = start + dt.timedelta(days=draw(st.integers(1, 730)))
            rows.append(
                {
                    "bioguide_id": f"M{i}",
                    "full_name": f"M {i}",
                    "first": "M",
                    "middle": None,
                    "last": str(i),
                    "nickname": None,
                    "suffix": None,
                    "chamber": "rep" if district is not None else "sen",
                    "party": party,
                    "state": state,
                    "district": district,
                    "start": start,
                    "end": end,
                }
            )
            start = end + dt.timedelta(days=draw(st.sampled_from([0, 1, 30])))
    return pl.DataFrame(rows, schema=TERM_SCHEMA)


def check_invariants(dim: pl.DataFrame) -> None:
    DimMembers.validate(dim)
    assert dim["member_key"].is_unique().all()
    for (_,), rows in dim.sort("valid_from").group_by("bioguide_id"):
        assert rows["is_current"].sum() == 1
        assert rows["is_current"][-1]
        assert rows["valid_to"][-1] == dim_members.OPEN_END
        for prev, nxt in zip(
            rows.iter_rows(named=True), rows[1:].iter_rows(named=True), strict=False
        ):
            assert prev["valid_to"] == nxt["valid_from"] - dt.timedelta(days=1)
            assert prev["valid_from"] <= prev["valid_to"]


@settings(max_examples=150, deadline=None)
@given(terms())
def test_history_from_terms(t):
    versions = dim_members.versions_from_terms(t)
    dim = dim_members.with_keys(versions, 1)
    check_invariants(dim)
    # consecutive versions of a member always differ in chamber/party/state/district,
    # and every change between consecutive terms opened a version
    for (bio,), rows in t.sort("start").group_by("bioguide_id"):
        keys = list(rows.select("chamber", "party", "state", "district").iter_rows())
        changes = sum(a != b for a, b in zip(keys, keys[1:], strict=False))
        assert dim.filter(pl.col("bioguide_id") == bio).height == changes + 1


@settings(max_examples=150, deadline=None)
@given(
    terms(),
    st.lists(
        st.dictionaries(st.sampled_from(["M0", "M1", "M2", "M9"]), attrs, min_size=1),
        max_size=4,
    ),
)
def test_snapshots_merge(t, snapshots):
    dim = dim_members.with_keys(dim_members.versions_from_terms(t), 1)
    day = dt.date(2010, 1, 1)
    for snap in snapshots:
        day += dt.timedelta(days=400)
        versions = pl.DataFrame(
            [
                {
                    "bioguide_id": b,
                    "full_name": b,
                    "party": p,
                    "state": s,
                    "district": d,
                    "valid_from": day,
                    "valid_to": dim_members.OPEN_END,
                    "is_current": True,
                }
                for b, (p, s, d) in snap.items()
            ],
            schema_overrides={"district": pl.Int32},
        )
        before = dim
        dim = dim_members.merge_snapshot(before, versions)
        check_invariants(dim)
        # history is never lost: every earlier row survives with its key and attributes
        kept = before.drop("valid_to", "is_current").join(
            dim.drop("valid_to", "is_current"),
            on=before.drop("valid_to", "is_current").columns,
            nulls_equal=True,
        )
        assert kept.height == before.height
        current = before.filter("is_current")
        opened = 0
        for bio, (p, s, d) in snap.items():
            was = current.filter(pl.col("bioguide_id") == bio)
            new_rows = dim.filter(
                (pl.col("bioguide_id") == bio)
                & ~pl.col("member_key").is_in(before["member_key"].implode())
            )
            if was.is_empty():
                assert new_rows.height == 1  # a newcomer
                opened += 1
            elif was.select("party", "state", "district").row(0) != (p, s, d):
                assert (
                    new_rows.height == 1 and new_rows.row(0, named=True)["is_current"]
                )
                opened += 1
            else:
                assert new_rows.is_empty()  # nothing but a change opens a version
        assert dim.height - before.height == opened  # no version appears from nowhere


def test_real_legislators_one_version_per_house_change():
    current_yaml = Path(
        shared_file("congress", "legislators-current.yaml")
    ).read_bytes()
    historical = Path(
        shared_file("congress", "legislators-historical.csv")
    ).read_bytes()
    members = yaml.safe_load(current_yaml)
    changed = {}
    for m in members:
        house = [t for t in m["terms"] if t["type"] == "rep"]
        keys = [(t["party"], t["state"], t.get("district")) for t in house]
        if any(a != b for a, b in zip(keys, keys[1:], strict=False)):
            pieces = [
                (a["party"], t["state"], t.get("district"))
                for t in house
                for a in t.get("party_affiliations") or [t]
            ]
            changed[m["id"]["bioguide"]] = sum(
                a != b for a, b in zip(pieces, pieces[1:], strict=False)
            )
    assert len(changed) == 95
    house_terms = current_terms(current_yaml).filter(pl.col("chamber") == "rep")
    versions = dim_members.versions_from_terms(house_terms)
    counts = dict(versions.group_by("bioguide_id").len().iter_rows())
    assert {b: counts[b] - 1 for b in changed} == changed
    dim = dim_members.with_keys(
        dim_members.versions_from_terms(all_terms(current_yaml, historical)), 1
    )
    check_invariants(dim)
    former = dim.filter(pl.col("valid_from") == dt.date(1, 1, 1))
    assert former.height > 10_000 and former["is_current"].all()


def test_asset_keys_stay_stable_across_runs(warehouse):
    import datetime as dt_

    from common.congress import demo_data
    from common.congress.build_dim_assets import JOB as ASSETS_JOB
    from common.congress.tables import DIMENSIONS
    from common.jobs import run_job

    demo_data.generate(warehouse, rows=400, members=5, assets=40, seed=61)
    run_job(ASSETS_JOB, {})
    before = pl.read_parquet(warehouse.uri(DIMENSIONS["dim_assets"]))
    silver = pl.read_parquet(warehouse.uri("silver/ptr_transactions/*.parquet")).head(1)
    demo_data.append_silver(
        warehouse,
        silver.with_columns(
            asset_name=pl.lit("Brand New Co - Common Stock"),
            ticker=pl.lit("BNEW"),
            silver_ingest_ts=pl.lit(dt_.datetime(2031, 1, 1)),
        ),
        "new-asset",
    )
    run_job(ASSETS_JOB, {})
    after = pl.read_parquet(warehouse.uri(DIMENSIONS["dim_assets"]))
    kept = before.join(after, on="asset_name", suffix="_after")
    assert kept.height == before.height
    assert (kept["asset_key"] == kept["asset_key_after"]).all()
    new = after.filter(pl.col("asset_name") == "Brand New Co - Common Stock")
    assert (
        new["asset_key"].item() > before["asset_key"].max()
        and new["ticker"].item() == "BNEW"
    )
