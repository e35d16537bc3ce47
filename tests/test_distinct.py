"""Repeated-value detection by sorted hashes, and the fact schema's unique check."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandera.errors import SchemaError

from common.congress.schemas import FactPtrTransactions
from common.distinct import all_distinct, maybe_repeated

values = st.one_of(
    st.lists(st.text(alphabet="ab-01", max_size=3), max_size=40),
    st.lists(st.integers(-3, 3), max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(values)
def test_repeats_are_found_exactly(xs):
    s = pl.Series(xs)
    counts = {x: xs.count(x) for x in xs}
    flagged = maybe_repeated(s).to_list()
    # every repeated value is flagged (a hash collision may add rows, never drop any)
    assert all(f for x, f in zip(xs, flagged, strict=True) if counts[x] > 1)
    assert all_distinct(s) == (len(set(xs)) == len(xs))


def fact(ids: list[str], keys: list[int]) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame(
        {
            "transaction_key": keys,
            "transaction_id": ids,
            "member_key": [-1] * n,
            "asset_key": [-1] * n,
            "transaction_date_key": pl.Series([20240101] * n, dtype=pl.Int32),
            "notification_date_key": pl.Series([20240102] * n, dtype=pl.Int32),
            "transaction_type": ["purchase"] * n,
            "amount_low": [1001] * n,
            "amount_high": pl.Series([15000] * n, dtype=pl.Int64),
            "amount_midpoint": [8000.5] * n,
            "days_to_notification": [1] * n,
            "doc_id": ["D"] * n,
            "filing_date": pl.Series(["2024-01-03"] * n).str.to_date(),
            "chamber": ["house"] * n,
        }
    )


@pytest.mark.parametrize(
    ("ids", "keys", "column"),
    [
        (["D-001", "D-001"], [1, 2], "transaction_id"),
        (["D-1", "D-2"], [7, 7], "transaction_key"),
    ],
)
def test_fact_schema_rejects_repeats_naming_the_column(ids, keys, column):
    FactPtrTransactions.validate(fact(["D-001", "D-002"], [1, 2]))  # distinct: fine
    with pytest.raises(SchemaError, match=f"{column}.*unique|unique.*{column}"):
        FactPtrTransactions.validate(fact(ids, keys))
