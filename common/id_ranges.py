"""A set of positive integer ids kept as sorted, disjoint, non-adjacent ranges.

Processed packet ids arrive nearly in order, so a million of them with a few gaps and
late arrivals are a handful of ranges: the state stays small (a DynamoDB item stops
at 400 KB) and every operation costs in proportion to the ranges, never to the ids.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

Ranges = list[list[int]]  # [[lo, hi], ...] inclusive, JSON-friendly


def from_ids(ids: Iterable[int]) -> Ranges:
    out: Ranges = []
    for i in sorted(set(ids)):
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _index(ranges: Ranges, i: int) -> int:
    """Position of the last range starting at or before i (-1 if none)."""
    return bisect.bisect_right(ranges, i, key=lambda r: r[0]) - 1


def contains(ranges: Ranges, i: int) -> bool:
    k = _index(ranges, i)
    return k >= 0 and ranges[k][0] <= i <= ranges[k][1]


def add(ranges: Ranges, i: int) -> Ranges:
    """A new list holding `i` too (merged with its neighbours)."""
    if contains(ranges, i):
        return ranges
    out = [list(r) for r in ranges]
    k = _index(out, i)
    joins_left = k >= 0 and out[k][1] == i - 1
    joins_right = k + 1 < len(out) and out[k + 1][0] == i + 1
    if joins_left and joins_right:
        out[k][1] = out.pop(k + 1)[1]
    elif joins_left:
        out[k][1] = i
    elif joins_right:
        out[k + 1][0] = i
    else:
        out.insert(k + 1, [i, i])
    return out


def highest(ranges: Ranges) -> int:
    return ranges[-1][1] if ranges else 0


def gaps_below(ranges: Ranges, i: int) -> Ranges:
    """The ids in [1, i) not in the set, as ranges."""
    gaps: Ranges = []
    expected = 1
    for lo, hi in ranges:
        if lo >= i:
            break
        if lo > expected:
            gaps.append([expected, lo - 1])
        expected = hi + 1
    if expected < i:
        gaps.append([expected, i - 1])
    return gaps


def migrate(value: list) -> Ranges:
    """Ranges from a state written before ranges: a plain list of ids."""
    if value and isinstance(value[0], int):
        return from_ids(value)
    return [list(r) for r in value]
