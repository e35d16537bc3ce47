"""Job state (watermarks, packet ids) and per-table writer leases.

Local files under `<warehouse>/_state/` by default; a DynamoDB table when `STATE_TABLE`
is set (required when the warehouse is on S3).

A lease is a conditional write with an expiry, taken before a job writes a table, so
two runs (a Prefect run and a Lambda, say) never write the same table at once: the
second fails with LeaseHeld before writing. While the job runs a heartbeat thread
renews the lease, so it can be short (LEASE_SECONDS, 120 s by default): a writer that
died blocks its table until then at most, and locally not at all (a holder whose
process is gone from this machine is released at once). Every commit is fenced: a
state write that moves a watermark, and each delete, succeeds only while the writer
still holds the lease it started with (its token), so a writer that was paused past
its lease and lost it to another stops with LeaseLost instead of overwriting.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from common.errors import LeaseHeld, LeaseLost
from common.settings import Settings

HOST = socket.gethostname()
HOST_TAG = re.sub(r"[^A-Za-z0-9-]", "_", HOST)


def temp_name(name: str) -> str:
    """A hidden name to write `name` under before renaming it into place; it tells
    which process wrote it, so debris of a dead writer can be swept (storage.py)."""
    return f".{name}.{HOST_TAG}-{os.getpid()}-{uuid.uuid4().hex}.tmp"


@dataclass(frozen=True)
class Fence:
    """Proof of a held lease: the table and the token written when it was taken."""

    table: str
    token: str


def _until(expires_at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at))


class StateStore(ABC):
    @abstractmethod
    def get(self, key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def put(
        self, key: str, value: dict[str, Any], fence: Fence | None = None
    ) -> None:
        """Write `value`; with a fence, only while that lease is still held
        (LeaseLost otherwise, and nothing is written)."""

    @abstractmethod
    def check(self, fence: Fence) -> None:
        """Raise LeaseLost unless the lease `fence` proves is still held."""

    @abstractmethod
    def _acquire(self, table: str, record: dict[str, Any]) -> dict | None:
        """Take the lease (record: owner, token, expires_at, host, pid) or return the
        holder's record."""

    @abstractmethod
    def _renew(self, fence: Fence, expires_at: float) -> bool:
        """Extend a lease still held; False when it is not ours any more."""

    @abstractmethod
    def _release(self, fence: Fence) -> None: ...

    @contextmanager
    def lease(self, table: str, seconds: int) -> Iterator[Fence]:
        runner = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", f"{HOST}:{os.getpid()}")
        token = uuid.uuid4().hex
        record = {
            "owner": f"{runner}/{token[:8]}",
            "token": token,
            "expires_at": time.time() + seconds,
            "host": HOST,
            "pid": os.getpid(),
        }
        holder = self._acquire(table, record)
        if holder is not None:
            raise LeaseHeld(
                f"table {table} is being written by {holder['owner']} until "
                f"{_until(holder['expires_at'])}; nothing was written, retry later"
            )
        fence = Fence(table, token)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(fence, seconds, stop), daemon=True
        )
        beat.start()
        try:
            yield fence
        finally:
            stop.set()
            beat.join()
            self._release(fence)

    def _heartbeat(self, fence: Fence, seconds: int, stop: threading.Event) -> None:
        # Renew at a third of the lease: two missed beats still leave it held.
        while not stop.wait(seconds / 3):
            try:
                if not self._renew(fence, time.time() + seconds):
                    return  # lost: the next fenced commit fails with LeaseLost
            except Exception:  # noqa: BLE001 - a failed renewal is retried next beat
                continue

    def _lost(self, fence: Fence, holder: dict | None) -> LeaseLost:
        now = (
            f"now held by {holder['owner']}"
            if holder and holder.get("token") != fence.token
            else "expired"
        )
        return LeaseLost(
            f"lease on table {fence.table} was lost ({now}) while this run still "
            "wrote: it stopped before committing; rerun it"
        )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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

    def _write(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = os.path.join(os.path.dirname(path), temp_name(os.path.basename(path)))
        with open(tmp, "w") as f:
            json.dump(value, f, sort_keys=True)
        os.replace(tmp, path)

    def put(
        self, key: str, value: dict[str, Any], fence: Fence | None = None
    ) -> None:
        if fence is None:
            return self._write(key, value)
        with self._locked():
            self._check(fence)
            self._write(key, value)

    def check(self, fence: Fence) -> None:
        with self._locked():
            self._check(fence)

    def _check(self, fence: Fence) -> dict[str, Any]:
        """The lease record `fence` still holds (under the lock), or LeaseLost."""
        held = self.get(f"leases/{fence.table}")
        if not held or held.get("token") != fence.token or not self._live(held):
            raise self._lost(fence, held)
        return held

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(os.path.join(self.dir, "leases", ".lock"), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield

    @staticmethod
    def _live(held: dict[str, Any]) -> bool:
        if held["expires_at"] <= time.time():
            return False
        # A holder whose process is gone from this machine holds nothing.
        return held.get("host") != HOST or pid_alive(int(held.get("pid", -1)))

    def _acquire(self, table: str, record: dict[str, Any]) -> dict | None:
        key = f"leases/{table}"
        with self._locked():
            held = self.get(key)
            if held and self._live(held):
                return held
            self._write(key, record)
            return None

    def _renew(self, fence: Fence, expires_at: float) -> bool:
        with self._locked():
            try:
                held = self._check(fence)
            except LeaseLost:
                return False
            self._write(f"leases/{fence.table}", {**held, "expires_at": expires_at})
            return True

    def _release(self, fence: Fence) -> None:
        with self._locked():
            held = self.get(f"leases/{fence.table}")
            if held and held.get("token") == fence.token:
                os.remove(self._path(f"leases/{fence.table}"))


class DynamoStateStore(StateStore):
    """One item per key (`pk`); leases and fenced commits use condition expressions."""

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

    def put(
        self, key: str, value: dict[str, Any], fence: Fence | None = None
    ) -> None:
        item = {"pk": {"S": f"state#{key}"}, "value": {"S": json.dumps(value)}}
        if fence is None:
            self.client.put_item(TableName=self.table, Item=item)
            return
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"ConditionCheck": self._held(fence)},
                    {"Put": {"TableName": self.table, "Item": item}},
                ]
            )
        except self.client.exceptions.TransactionCanceledException as exc:
            raise self._lost(fence, self._holder(fence.table)) from exc

    def check(self, fence: Fence) -> None:
        holder = self._holder(fence.table)
        if (
            not holder
            or holder["token"] != fence.token
            or holder["expires_at"] <= time.time()
        ):
            raise self._lost(fence, holder)

    def _held(self, fence: Fence) -> Any:  # a ConditionCheck of TransactWriteItems
        return {
            "TableName": self.table,
            "Key": {"pk": {"S": f"lease#{fence.table}"}},
            "ConditionExpression": "#t = :token AND expires_at > :now",
            "ExpressionAttributeNames": {"#t": "token"},
            "ExpressionAttributeValues": {
                ":token": {"S": fence.token},
                ":now": {"N": str(time.time())},
            },
        }

    def _holder(self, table: str) -> dict | None:
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"lease#{table}"}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return {
            "owner": item["owner"]["S"],
            "token": item.get("token", {}).get("S", ""),
            "expires_at": float(item["expires_at"]["N"]),
        }

    def _acquire(self, table: str, record: dict[str, Any]) -> dict | None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": f"lease#{table}"},
                    "owner": {"S": record["owner"]},
                    "token": {"S": record["token"]},
                    "expires_at": {"N": str(record["expires_at"])},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(time.time())}},
            )
            return None
        except self.client.exceptions.ConditionalCheckFailedException:
            return self._holder(table)

    def _renew(self, fence: Fence, expires_at: float) -> bool:
        held = self._held(fence)
        try:
            self.client.update_item(
                TableName=self.table,
                Key=held["Key"],
                UpdateExpression="SET expires_at = :until",
                ConditionExpression=held["ConditionExpression"],
                ExpressionAttributeNames=held["ExpressionAttributeNames"],
                ExpressionAttributeValues={
                    **held["ExpressionAttributeValues"],
                    ":until": {"N": str(expires_at)},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _release(self, fence: Fence) -> None:
        # A lease that expired and was taken over is not ours to delete.
        with contextlib.suppress(
            self.client.exceptions.ConditionalCheckFailedException
        ):
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": f"lease#{fence.table}"}},
                ConditionExpression="#t = :token",
                ExpressionAttributeNames={"#t": "token"},
                ExpressionAttributeValues={":token": {"S": fence.token}},
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
