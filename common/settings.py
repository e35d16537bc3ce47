"""Runtime configuration, read from the environment only.

The embedded default needs nothing: a local `./warehouse` folder with its state under
`./warehouse/_state/`. AWS is selected by configuration alone (same code path):
`WAREHOUSE_URI=s3://bucket/prefix`, `STATE_TABLE=<dynamodb table>`, plus the standard
AWS variables (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    warehouse_uri: str
    state_table: str | None
    lease_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            warehouse_uri=os.environ.get("WAREHOUSE_URI", "./warehouse"),
            state_table=os.environ.get("STATE_TABLE") or None,
            lease_seconds=int(os.environ.get("LEASE_SECONDS", "120")),
        )
