"""Job state (watermarks, packet ids) and per-table writer leases.

Local files under `<warehouse>/_state/` by default; a DynamoDB table when `STATE_TABLE`
is set (required when the warehouse is on S3). A lease is a conditional write with an
expiry, taken before a job writes a table, so two runs (a Prefect run and a Lambda, say)
never write the same table at once: the second fails with LeaseHeld before writing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from common.errors import LeaseHeld
from common.settings import Settings


class StateStore:
    def get(self, key: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def put(self, key: str, value: dict[str, Any]) -> None:
        raise NotImplementedError

    def _acquire(self, table: str, owner: str, expires_at: float) -> dict | None:
        """Take the lease or return the holder's record."""
        raise NotImplementedError

    def _release(self, table: str, owner: str) -> None:
        raise NotImplementedError

    @contextmanager
    def lease(self, table: str, seconds: int) -> Iterator[str]:
        runner = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", os.getpid())
        owner = f"{runner}/{uuid.uuid4()}"
        holder = self._acquire(table, owner, time.time() + seconds)
        if holder is not None:
            until = time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(holder["expires_at"])
            )
            raise LeaseHeld(
                f"table {table} is being written by {holder['owner']} until {until}; "
                "nothing was written, retry later"
            )
        try:
            yield owner
        finally:
            self._release(table, owner)


class LocalStateStore(StateStore):
    """JSON files; leases are serialised by an flock (one machine, many processes)."""

    def __init__(self, root: str) -> None:
        self.dir = os.path.join(root, "_state")
        os.makedirs(os.path.join(self.dir, "leases"), exist_ok=True)

    def _path(self, key: str) -> str:
        return os.path.join(self.dir, f"{key}.json")

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self._path(key)) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w") as f:
            json.dump(value, f, sort_keys=True)
        os.replace(tmp, path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(os.path.join(self.dir, "leases", ".lock"), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield

    def _acquire(self, table: str, owner: str, expires_at: float) -> dict | None:
        key = f"leases/{table}"
        with self._locked():
            held = self.get(key)
            if held and held["expires_at"] > time.time():
                return held
            self.put(key, {"owner": owner, "expires_at": expires_at})
            return None

    def _release(self, table: str, owner: str) -> None:
        with self._locked():
            held = self.get(f"leases/{table}")
            if held and held["owner"] == owner:
                os.remove(self._path(f"leases/{table}"))


class DynamoStateStore(StateStore):
    """One item per key (`pk`); leases use condition expressions."""

    def __init__(self, table_name: str) -> None:
        import boto3
        from botocore.config import Config

        # Transient errors are retried by botocore itself (standard mode, backoff).
        self.client = boto3.client(
            "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 5})
        )
        self.table = table_name

    def get(self, key: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": f"state#{key}"}}, ConsistentRead=True
        ).get("Item")
        return json.loads(item["value"]["S"]) if item else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={"pk": {"S": f"state#{key}"}, "value": {"S": json.dumps(value)}},
        )

    def _acquire(self, table: str, owner: str, expires_at: float) -> dict | None:
        pk = {"S": f"lease#{table}"}
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": pk,
                    "owner": {"S": owner},
                    "expires_at": {"N": str(expires_at)},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(time.time())}},
            )
            return None
        except self.client.exceptions.ConditionalCheckFailedException:
            item = self.client.get_item(TableName=self.table, Key={"pk": pk})["Item"]
            return {
                "owner": item["owner"]["S"],
                "expires_at": float(item["expires_at"]["N"]),
            }

    def _release(self, table: str, owner: str) -> None:
        # A lease that expired and was taken over is not ours to delete.
        with contextlib.suppress(
            self.client.exceptions.ConditionalCheckFailedException
        ):
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": f"lease#{table}"}},
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}},
            )


def state_store(settings: Settings, warehouse_root: str, is_local: bool) -> StateStore:
    if settings.state_table:
        return DynamoStateStore(settings.state_table)
    if not is_local:
        raise ValueError(
            "STATE_TABLE: required when WAREHOUSE_URI is not a local folder "
            "(job state and leases then live in DynamoDB)"
        )
    return LocalStateStore(warehouse_root)
