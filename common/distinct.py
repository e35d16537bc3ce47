"""Repeated values in large columns, found by sorting 32-bit hashes.

Hash-set operations on strings (`is_duplicated`, `n_unique`) take seconds at 10M rows
on two cores; sorting the values' hashes takes a fraction of that. Equal values have
equal hashes, so the rows whose hash repeats are a superset of the rows whose value
repeats, and only that small superset needs an exact comparison.

32 bits, not Polars' 64: the sort holds the hashes twice (the column and its sorted
copy), and at 20M rows that is the fact rebuild's peak (320 MB of hashes instead of
160). The price is chance collisions: about n^2 / 2^33 pairs, 0.5% of the rows at 20M,
which only join the exact comparison.
"""

from __future__ import annotations

import polars as pl

STEP = 1 << 22  # values hashed at a time: their 64-bit hashes are transient


def maybe_repeated(values: pl.Series) -> pl.Series:
    """True for every row whose value occurs more than once (and, now and then, for
    a row that only shares its hash with another)."""
    hashes = pl.concat(
        [
            values.slice(i, STEP).hash().cast(pl.UInt32, wrap_numerical=True)
            for i in range(0, values.len(), STEP)
        ]
        or [pl.Series(dtype=pl.UInt32)],
        rechunk=False,
    )
    ordered = hashes.sort()
    # each hash against the one before it, as two views of the sorted copy: a
    # shifted copy would add a third column as large as the values' hashes
    after = ordered.slice(1)
    repeated = after.filter(after == ordered.slice(0, after.len()))
    del ordered, after
    return hashes.is_in(repeated.implode())


def all_distinct(values: pl.Series) -> bool:
    candidates = values.filter(maybe_repeated(values))
    return not candidates.is_duplicated().any()
