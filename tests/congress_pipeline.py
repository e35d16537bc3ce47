"""Run the Congress jobs through their packaged Lambdas, in the flow's order."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from common.congress.tables import ALL
from common.storage import Warehouse
from tests.lambda_zip import invoke, unpack

ORDER = [
    "ingest_house_ptr",
    "ingest_senate_ptr",
    "build_dim_members",
    "build_dim_assets",
    "build_dim_dates",
    "build_fact_transactions",
    "compute_trending_stocks",
]


def run_lambdas(
    wh: Warehouse, code_root: str, events: dict[str, dict[str, Any]]
) -> dict[str, dict]:
    results = {}
    for name in ORDER:
        if name not in events:
            continue
        code = unpack(name, f"{code_root}/{name}")
        out = invoke(code, name, events[name], {"WAREHOUSE_URI": wh.root})
        assert "result" in out, out
        assert out["result"]["statusCode"] == 200, out["result"]
        results[name] = json.loads(out["result"]["body"])
    return results


def snapshot(wh: Warehouse) -> dict[str, pl.DataFrame]:
    """Every table's rows (silver without its ingest timestamp), in a stable order."""
    out = {}
    for prefix in ALL[1:]:  # silver below, without its ingest timestamps
        keys = wh.keys(prefix, ".parquet")
        frame = (
            pl.concat(
                [pl.read_parquet(wh.uri(k)) for k in keys], how="diagonal_relaxed"
            )
            if keys
            else pl.DataFrame()
        )
        out[prefix] = frame.sort(frame.columns) if frame.width else frame
    silver = pl.read_parquet(wh.uri("silver/ptr_transactions/*.parquet")).drop(
        "silver_ingest_ts"
    )
    out["silver"] = silver.sort(silver.columns)
    return out
