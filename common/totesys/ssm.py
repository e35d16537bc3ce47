"""The seed's SSM parameters: the last packet id per table, for its other readers."""

from __future__ import annotations

import os


def publish_last_id(table: str, last: int) -> None:
    """The seed's SSM parameter `/<prefix>/packet_id/<table>`, for its other readers."""
    prefix = os.environ.get("SSM_PARAMETER_PREFIX")
    if prefix:
        import boto3
        from botocore.config import Config

        # transient errors: botocore's own retries (standard mode), not a loop here
        retries = Config(retries={"mode": "standard", "max_attempts": 5})
        boto3.client("ssm", config=retries).put_parameter(
            Name=f"/{prefix.strip('/')}/packet_id/{table}",
            Value=str(last),
            Type="String",
            Overwrite=True,
        )
