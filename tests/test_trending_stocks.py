"""compute_trending_stocks against a plain-Python recomputation on random inputs."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.congress.trending_stocks import WINDOWS, aggregate, trades

AS_OF = dt.date(2024, 6, 30)
MEMBERS = pl.DataFrame(
    {
        "member_key": [1, 2, 3],
        "bioguide_id": ["A", "A", "B"],
        "party": ["Democrat", "Republican", "Independent"],
    }
)
ASSETS = pl.DataFrame({"asset_key": [1, 2, 3], "ticker": ["AAA", "BBB", None]})

row = st.fixed_dictionaries(
    {
        "member_key": st.sampled_from([1, 2, 3, -1]),
        "asset_key": st.sampled_from([1, 2, 3, -1]),
        "days_before": st.integers(-3, 120),
        "transaction_type": st.sampled_from(
            ["purchase", "sale", "sale_partial", "exchange"]
        ),
        "amount_midpoint": st.one_of(
            st.none(), st.sampled_from([8000.5, 32500.5, 175000.5])
        ),
    }
)


def fact_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                **r,
                "transaction_date_key": int(
                    (AS_OF - dt.timedelta(days=r["days_before"])).strftime("%Y%m%d")
                ),
            }
            for r in rows
        ],
        schema={
            "member_key": pl.Int64,
            "asset_key": pl.Int64,
            "days_before": pl.Int64,
            "transaction_type": pl.String,
            "amount_midpoint": pl.Float64,
            "transaction_date_key": pl.Int32,
        },
    )


def recompute(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """Every output column of every (window, ticker), row by row in plain Python."""
    party = dict(zip(MEMBERS["member_key"], MEMBERS["party"], strict=True))
    who = dict(zip(MEMBERS["member_key"], MEMBERS["bioguide_id"], strict=True))
    ticker = dict(zip(ASSETS["asset_key"], ASSETS["ticker"], strict=True))
    out: dict[tuple[str, str], dict] = {}
    for window, days in WINDOWS.items():
        for r in rows:
            t = ticker.get(r["asset_key"])
            if t is None or not 0 <= r["days_before"] < days:
                continue
            acc = out.setdefault(
                (window, t),
                {
                    "total_transactions": 0,
                    "total_volume": 0.0,
                    "buy_volume": 0.0,
                    "sell_volume": 0.0,
                    "buyers": set(),
                    "sellers": set(),
                    "dem_transactions": 0,
                    "rep_transactions": 0,
                    "dem_buy_volume": 0.0,
                    "rep_buy_volume": 0.0,
                    "dates": [],
                },
            )
            mid = r["amount_midpoint"] or 0.0
            side = party.get(r["member_key"])
            acc["total_transactions"] += 1
            acc["total_volume"] += mid
            acc["dates"].append(AS_OF - dt.timedelta(days=r["days_before"]))
            acc["dem_transactions"] += side == "Democrat"
            acc["rep_transactions"] += side == "Republican"
            if r["transaction_type"] == "purchase":
                acc["buy_volume"] += mid
                if r["member_key"] in who:
                    acc["buyers"].add(who[r["member_key"]])
                acc["dem_buy_volume"] += mid if side == "Democrat" else 0.0
                acc["rep_buy_volume"] += mid if side == "Republican" else 0.0
            elif r["transaction_type"] in ("sale", "sale_partial"):
                acc["sell_volume"] += mid
                if r["member_key"] in who:
                    acc["sellers"].add(who[r["member_key"]])
    for acc in out.values():
        net = acc["buy_volume"] - acc["sell_volume"]
        acc["net_volume"] = net
        total = acc["total_volume"]
        acc["sentiment_score"] = net / total if total else 0.0
        acc["num_buyers"] = len(acc.pop("buyers"))
        acc["num_sellers"] = len(acc.pop("sellers"))
        dates = acc.pop("dates")
        acc["first_trade_date"], acc["last_trade_date"] = min(dates), max(dates)
        acc["as_of_date"] = AS_OF
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(row, max_size=30))
def test_matches_recomputation(rows):
    got = aggregate(
        trades(fact_frame(rows).lazy(), MEMBERS.lazy(), ASSETS.lazy()), AS_OF
    ).collect()
    want = recompute(rows)
    assert set(got.select("window", "ticker").iter_rows()) == set(want)
    for g in got.iter_rows(named=True):
        w = want[(g.pop("window"), g.pop("ticker"))]
        assert set(g) == set(w)  # every output column is checked
        for column, value in w.items():
            expected = pytest.approx(value) if isinstance(value, float) else value
            assert g[column] == expected, column
