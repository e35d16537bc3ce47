"""Processed packet ids as ranges: the same answers as a set, at a size that fits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from common import id_ranges

ids = st.lists(st.integers(1, 300), max_size=120)


@settings(max_examples=300, deadline=None)
@given(ids, st.integers(1, 320))
def test_ranges_answer_as_the_set_of_ids_does(arrivals, probe):
    ranges: id_ranges.Ranges = []
    for i in arrivals:  # in any order, repeats included
        ranges = id_ranges.add(ranges, i)
    seen = set(arrivals)
    assert ranges == id_ranges.from_ids(arrivals)
    assert id_ranges.contains(ranges, probe) == (probe in seen)
    assert id_ranges.highest(ranges) == max(seen, default=0)
    gaps = id_ranges.gaps_below(ranges, probe)
    missing = set(range(1, probe)) - seen
    assert {i for lo, hi in gaps for i in range(lo, hi + 1)} == missing
    # sorted, disjoint and never adjacent: the smallest form
    for (_, hi), (lo, _) in zip(ranges, ranges[1:], strict=False):
        assert lo > hi + 1
    assert id_ranges.migrate(sorted(seen)) == ranges  # a state of today's main


def test_a_huge_id_costs_the_ranges_not_the_id():
    ranges = id_ranges.from_ids([1, 2, 3])
    assert id_ranges.gaps_below(ranges, 2**31 - 1) == [[4, 2**31 - 2]]
