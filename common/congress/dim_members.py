"""dim_members, SCD Type 2: one version per stretch of unchanged party/state/district.

First run: history derived from every term. Consecutive terms with the same chamber,
party, state and district form one version; a version ends the day before the next one
starts (so gaps between terms belong to the earlier version) and the last one is open
(9999-12-31). Later runs merge a snapshot: a member whose party, state or district
differs from their current version gets that version closed and a new one opened with a
new key; unchanged members keep their rows and keys; new members get their history.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

OPEN_END = dt.date(9999, 12, 31)
TRACKED = ["party", "state", "district"]
COLUMNS = [
    "member_key",
    "bioguide_id",
    "full_name",
    "party",
    "state",
    "district",
    "valid_from",
    "valid_to",
    "is_current",
]


def versions_from_terms(terms: pl.DataFrame) -> pl.DataFrame:
    """Versions (no keys yet) from a term table sorted by bioguide_id, start."""
    key = ["chamber", *TRACKED]
    changed = pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(c).shift(1).over("bioguide_id")) for c in key
    )
    return (
        terms.sort("bioguide_id", "start")
        .with_columns(version=changed.cum_sum().over("bioguide_id"))
        .group_by("bioguide_id", "version", maintain_order=True)
        .agg(pl.col("full_name", *TRACKED).last(), valid_from=pl.col("start").min())
        .with_columns(
            valid_to=(
                pl.col("valid_from").shift(-1).over("bioguide_id")
                - dt.timedelta(days=1)
            ).fill_null(OPEN_END),
        )
        .with_columns(is_current=pl.col("valid_to") == OPEN_END)
        .drop("version")
    )


def with_keys(versions: pl.DataFrame, start: int) -> pl.DataFrame:
    ordered = versions.sort("bioguide_id", "valid_from")
    return ordered.with_columns(
        member_key=pl.int_range(start, start + ordered.height, dtype=pl.Int64)
    ).select(COLUMNS)


def merge_snapshot(dim: pl.DataFrame, versions: pl.DataFrame) -> pl.DataFrame:
    """Apply the snapshot's latest versions (and new members' history) to `dim`."""
    current = dim.filter("is_current")
    latest = versions.filter("is_current")
    joined = latest.join(current, on="bioguide_id", how="inner", suffix="_dim")
    differs = pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(f"{c}_dim")) for c in TRACKED
    )
    changed = joined.filter(differs).select(
        "bioguide_id",
        "full_name",
        *TRACKED,
        # the change takes effect when the snapshot says, but never before the open
        # version began (a version is at least one day long)
        valid_from=pl.max_horizontal(
            "valid_from", pl.col("valid_from_dim") + dt.timedelta(days=1)
        ),
    )
    closing = dict(zip(changed["bioguide_id"], changed["valid_from"], strict=True))
    closed = dim.with_columns(
        valid_to=pl.when(
            pl.col("is_current") & pl.col("bioguide_id").is_in(list(closing))
        )
        .then(
            pl.col("bioguide_id").replace_strict(
                closing, default=None, return_dtype=pl.Date
            )
            - dt.timedelta(days=1)
        )
        .otherwise("valid_to"),
    ).with_columns(is_current=pl.col("valid_to") == OPEN_END)
    opened = changed.with_columns(valid_to=pl.lit(OPEN_END), is_current=pl.lit(True))
    newcomers = versions.join(
        dim.select("bioguide_id").unique(), on="bioguide_id", how="anti"
    )
    top = int(dim.select(pl.col("member_key").max()).item() or 0)
    added = with_keys(pl.concat([opened, newcomers], how="diagonal_relaxed"), top + 1)
    return pl.concat([closed, added.cast(closed.schema)]).sort("member_key")  # type: ignore[arg-type]
