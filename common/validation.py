"""Validate a collected frame with its Pandera model; split bad rows off to quarantine.

Pandera checks a LazyFrame's schema only, so jobs validate collected frames. Errors
that concern the whole frame (a missing column, a wrong type) raise: nothing is written.
Row-level failures are returned as a quarantine frame with a `reason` per row, which
names the column and the failed check.
"""

from __future__ import annotations

from typing import cast

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

ROW = "__row__"


def split_valid(
    df: pl.DataFrame, model: type[pa.DataFrameModel] | pa.DataFrameSchema
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid rows, rejected rows + `reason`); SchemaErrors for frame-level errors."""
    try:
        valid: pl.DataFrame = model.validate(df, lazy=True)
        return valid, valid.clear().with_columns(reason=pl.lit(""))
    except SchemaErrors as err:
        cases = err.failure_cases
        if cases.filter(pl.col("index").is_null()).height:
            raise
        reasons = (
            cases.select(
                pl.col("index").cast(pl.UInt32).alias(ROW),
                pl.format(
                    "{}: failed {} (value {})",
                    "column",
                    "check",
                    pl.col("failure_case").cast(pl.String).fill_null("null"),
                ).alias("reason"),
            )
            .group_by(ROW)
            .agg(pl.col("reason").unique().sort().str.join("; "))
        )
        indexed = df.with_row_index(ROW)
        rejected = indexed.join(reasons, on=ROW, how="inner").sort(ROW).drop(ROW)
        valid = indexed.join(reasons, on=ROW, how="anti").drop(ROW)
        return cast(pl.DataFrame, model.validate(valid)), rejected
