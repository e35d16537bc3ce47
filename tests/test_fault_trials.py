"""Every writer job, killed with SIGKILL at random instants and rerun with no manual
step, ends equal to a clean run; two writers started together leave the table intact.
Two trials per job here; `benchmarks/kill_trials.py` runs 20 or more."""

from __future__ import annotations

import random

import pytest

from tests.fault_trials import SETUPS, Bench, Trials


@pytest.fixture(scope="module", params=sorted(SETUPS))
def bench(request, tmp_path_factory):
    return Bench(request.param, str(tmp_path_factory.mktemp(request.param)))


def test_killed_at_random_then_rerun_converges(bench):
    report = Trials(bench.job, bench.seconds)
    for n in range(2):
        bench.trial(n, random.Random(n), report)
    assert report.problems == []
    assert report.converged == 2


def test_two_writers_started_together(bench):
    outcomes, problem = bench.two_writers()
    assert "200" in outcomes, outcomes  # one wins
    # the other fails clearly, as a retryable error (its retry finds the table done)
    assert set(outcomes) <= {"200", "TransientError(LeaseHeld)"}, outcomes
    assert problem is None, problem  # and the table is intact
