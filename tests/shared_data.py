"""The real public data beside the repo (../shared/data); tests skip without it."""

from __future__ import annotations

import os

import pytest

ROOT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data"
)
SHARED = os.environ.get("SHARED_DATA", ROOT)


def shared_file(*parts: str) -> str:
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip(
            f"real data not present: {path} (../shared/data is beside the repo in CI)"
        )
    return os.path.abspath(path)


def congress_sources() -> dict[str, str]:
    return {
        "legislators_current_uri": shared_file("congress", "legislators-current.yaml"),
        "legislators_historical_uri": shared_file(
            "congress", "legislators-historical.csv"
        ),
    }
