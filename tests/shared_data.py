"""The real public data beside the repo (`../shared/data`).

Pants runs tests in a sandbox, so the location comes in through the environment:
`SHARED_DATA` if set (relative paths are taken from the build root), otherwise
`../shared/data` from the build root, which pants.toml passes as
`DATA_PLATFORM_BUILDROOT`. Without the data a test skips with the reason, except under
`CI=true`, where missing data is a failure.
"""

from __future__ import annotations

import os

import pytest

BUILDROOT = os.environ.get("DATA_PLATFORM_BUILDROOT") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."
)
SHARED = os.path.join(
    BUILDROOT, os.environ.get("SHARED_DATA") or os.path.join("..", "shared", "data")
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def shared_file(*parts: str) -> str:
    path = os.path.abspath(os.path.join(SHARED, *parts))
    if not os.path.exists(path):
        reason = (
            f"real data not present: {path} (set SHARED_DATA to your copy of "
            "shared/data; CI has it at ../shared/data beside the repo)"
        )
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def congress_sources() -> dict[str, str]:
    return {
        "legislators_current_uri": shared_file("congress", "legislators-current.yaml"),
        "legislators_historical_uri": shared_file(
            "congress", "legislators-historical.csv"
        ),
    }
