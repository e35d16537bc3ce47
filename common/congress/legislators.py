"""The public legislators sources (unitedstates/congress-legislators) as one term table.

Current members (YAML): every term, split where `party_affiliations` records a change of
party mid-term. Former members (CSV): only their last term, without dates, so their one
term spans 0001-01-01 .. 9999-12-31.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import polars as pl
import yaml

BEGINNING, OPEN_END = dt.date(1, 1, 1), dt.date(9999, 12, 31)
TERM_SCHEMA = pl.Schema(
    {
        "bioguide_id": pl.String,
        "full_name": pl.String,
        "first": pl.String,
        "middle": pl.String,
        "last": pl.String,
        "nickname": pl.String,
        "suffix": pl.String,
        "chamber": pl.String,
        "party": pl.String,
        "state": pl.String,
        "district": pl.Int32,
        "start": pl.Date,
        "end": pl.Date,
    }
)


def _date(s: Any) -> dt.date:
    return s if isinstance(s, dt.date) else dt.date.fromisoformat(str(s))


def current_terms(yaml_bytes: bytes) -> pl.DataFrame:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rows = []
    for member in yaml.load(io.BytesIO(yaml_bytes), Loader=loader):  # noqa: S506
        name = member["name"]
        person = {
            "bioguide_id": member["id"]["bioguide"],
            "full_name": name.get("official_full") or f"{name['first']} {name['last']}",
            **{
                k: name.get(k)
                for k in ("first", "middle", "last", "nickname", "suffix")
            },
        }
        for term in member["terms"]:
            pieces = term.get("party_affiliations") or [term]
            for piece in pieces:
                rows.append(
                    {
                        **person,
                        "chamber": term["type"],
                        "party": piece.get("party"),
                        "state": term["state"],
                        "district": term.get("district")
                        if term["type"] == "rep"
                        else None,
                        "start": _date(piece["start"]),
                        "end": _date(piece["end"]),
                    }
                )
    return pl.DataFrame(rows, schema=TERM_SCHEMA)


def former_terms(csv_bytes: bytes, exclude: pl.Series) -> pl.DataFrame:
    raw = pl.read_csv(io.BytesIO(csv_bytes), infer_schema=False)
    return (
        raw.filter(~pl.col("bioguide_id").is_in(exclude.implode()))
        .select(
            "bioguide_id",
            full_name=pl.coalesce(
                "full_name", pl.format("{} {}", "first_name", "last_name")
            ),
            first="first_name",
            middle=pl.col("middle_name").replace("", None),
            last="last_name",
            nickname=pl.col("nickname").replace("", None),
            suffix=pl.col("suffix").replace("", None),
            chamber="type",
            party=pl.col("party").replace("", None),
            state="state",
            district=pl.when(pl.col("type") == "rep").then(
                pl.col("district").replace("", None).cast(pl.Int32, strict=False)
            ),
            start=pl.lit(BEGINNING),
            end=pl.lit(OPEN_END),
        )
        .cast(dict(TERM_SCHEMA))  # type: ignore[arg-type]
    )


def all_terms(current_yaml: bytes, historical_csv: bytes) -> pl.DataFrame:
    current = current_terms(current_yaml)
    former = former_terms(historical_csv, current["bioguide_id"].unique())
    return combine(current, former)


def combine(current: pl.DataFrame, former: pl.DataFrame) -> pl.DataFrame:
    return (
        pl.concat([current, former])
        .with_columns(
            # -1 marks an unknown district in the sources; the contract wants null
            district=pl.when(pl.col("district") >= 0).then("district"),
            party=pl.col("party").fill_null("Unknown"),
        )
        .sort("bioguide_id", "start")
    )
