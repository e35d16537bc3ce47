"""SQL over the warehouse with the catalog's table names, against plain Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
from typer.testing import CliRunner

from common.congress import demo_data
from common.congress.build_fact_transactions import JOB as FACT
from common.congress.tables import DIMENSIONS
from common.jobs import run_job
from common.query import TOP_BOUGHT, query
from common.storage import Warehouse
from common.totesys.process_totesys_packets import JOB as TOTESYS
from flows.cli import app
from tests.fact_reader import read_fact
from tests.totesys_packets import dump_rows, first_packets, write_packet


def top_bought(wh: Warehouse) -> list[tuple]:
    """The demo's question, row by row."""
    day = dict(pl.read_parquet(wh.uri(DIMENSIONS["dim_dates"])).select(
        "date_key", "full_date").iter_rows())
    ticker = dict(pl.read_parquet(wh.uri(DIMENSIONS["dim_assets"])).select(
        "asset_key", "ticker").iter_rows())
    trades = [
        (day[r["transaction_date_key"]], r) for r in read_fact(wh).iter_rows(named=True)
    ]
    newest = max(d for d, _ in trades)
    count: dict[str, int] = defaultdict(int)
    members: dict[str, set] = defaultdict(set)
    volume: dict[str, float | None] = defaultdict(lambda: None)  # SQL's SUM
    for d, r in trades:
        t = ticker.get(r["asset_key"])
        if r["transaction_type"] == "purchase" and t and d > newest - dt.timedelta(90):
            count[t] += 1
            members[t].add(r["member_key"])
            if r["amount_midpoint"] is not None:
                volume[t] = (volume[t] or 0.0) + r["amount_midpoint"]
    ranked = sorted(count, key=lambda t: (-count[t], t))[:10]
    return [(t, count[t], len(members[t]), volume[t]) for t in ranked]


def test_the_demo_question_against_a_row_by_row_answer(warehouse):
    demo_data.generate(warehouse, rows=4_000, members=40, assets=60, seed=71)
    run_job(FACT, {"rebuild": True})
    got = query(warehouse, TOP_BOUGHT)
    want = top_bought(warehouse)
    assert [r[:3] for r in got.iter_rows()] == [r[:3] for r in want]
    assert got["est_volume_usd"].to_list() == [r[3] for r in want]


def test_cli_query_prints_only_the_result_and_names_bad_sql(warehouse):
    demo_data.generate(warehouse, rows=500, members=5, assets=20, seed=72)
    runner = CliRunner()
    assets = pl.read_parquet(warehouse.uri(DIMENSIONS["dim_assets"])).height
    out = runner.invoke(app, ["query", "SELECT COUNT(*) AS n FROM dim_assets"])
    assert out.exit_code == 0, out.output
    assert f"│ {assets} " in out.output and "shape: (1, 1)" in out.output
    bad = runner.invoke(app, ["query", "SELECT * FROM no_such_table"])
    assert bad.exit_code == 2 and "no_such_table" in bad.output


def test_totesys_dimensions_read_as_their_latest_rows(warehouse):
    ingestion = Warehouse(warehouse.uri("ingestion"))
    run_job(TOTESYS, {"packets": first_packets(ingestion)})
    c = dump_rows("currency")[0]
    newer = {**c, "currency_code": "JPY", "last_updated": "2025-01-02T03:04:05"}
    older = {**c, "currency_code": "CHF", "last_updated": "2024-01-01T00:00:00"}
    run_job(TOTESYS, {"packets": [write_packet(ingestion, "currency", 3, [newer])]})
    run_job(TOTESYS, {"packets": [write_packet(ingestion, "currency", 2, [older])]})
    currency = c["currency_id"]
    sql = f"SELECT currency_code FROM dim_currency WHERE currency_id = {currency}"
    assert query(warehouse, sql)["currency_code"].to_list() == ["JPY"]
    orders = query(warehouse, "SELECT COUNT(*) AS n FROM fact_sales_order")["n"][0]
    assert orders == len(dump_rows("sales_order"))
