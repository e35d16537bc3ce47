"""The chargebacks store: records keyed by chargeback_id + created_at, found by
partition_date. DynamoDB when CHARGEBACKS_TABLE is set; otherwise SQLite in the
warehouse folder (the embedded default). One interface, so the updater's code is the
same on both.

Stamping is a conditional write: it happens only while the item's
consolidation_execution is absent or older than the message's, so a replay and an
older execution arriving late change nothing, whatever the order, with no lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

Key = tuple[str, str]  # (chargeback_id, created_at)
INDEX = "partition_date-index"


class ChargebackStore(ABC):
    parallelism = 1  # concurrent writes the store takes

    @abstractmethod
    def put(self, records: Iterable[dict[str, Any]]) -> None:
        """Insert chargeback records (what the chargebacks service writes)."""

    @abstractmethod
    def key_pages(self, partition_date: str) -> Iterator[list[Key]]:
        """The keys of one partition date, a page at a time."""

    @abstractmethod
    def executions(self, keys: list[Key]) -> dict[Key, int | None]:
        """Each item's consolidation_execution (None: never stamped)."""

    @abstractmethod
    def stamp(self, key: Key, fields: dict[str, Any]) -> bool:
        """Write `fields` if the item is still older than fields' execution: True
        if written, False if the item already had it or a newer one."""

    @abstractmethod
    def items(self) -> list[dict[str, Any]]:
        """Every item (tests and small tables only)."""


class SqliteStore(ChargebackStore):
    COLUMNS = (
        "chargeback_id TEXT NOT NULL",
        "created_at TEXT NOT NULL",
        "partition_date TEXT NOT NULL",
        "merchant_id TEXT",
        "amount_cents INTEGER",
        "currency TEXT",
        "consolidation_status TEXT",
        "consolidation_s3_path TEXT",
        "consolidation_date TEXT",
        "consolidation_execution INTEGER",
        "consolidation_job_name TEXT",
        "output_format TEXT",
        "records_in_consolidation INTEGER",
        "updated_at TEXT",
    )

    def __init__(self, path: str, page_size: int = 1000) -> None:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")  # a Prefect task and the CLI
        self.lock = threading.Lock()
        self.page_size = page_size
        with self.lock:
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS chargebacks ({', '.join(self.COLUMNS)}, "
                "PRIMARY KEY (chargeback_id, created_at))"
            )
            self.db.execute(
                "CREATE INDEX IF NOT EXISTS partition_date_index "
                "ON chargebacks (partition_date)"
            )
        self.names = [c.split()[0] for c in self.COLUMNS]

    def put(self, records: Iterable[dict[str, Any]]) -> None:
        marks = ", ".join("?" for _ in self.names)
        rows = [tuple(r.get(n) for n in self.names) for r in records]
        with self.lock:
            self.db.executemany(
                f"INSERT OR REPLACE INTO chargebacks VALUES ({marks})", rows
            )

    def key_pages(self, partition_date: str) -> Iterator[list[Key]]:
        after: Key = ("", "")
        while True:
            with self.lock:
                page = self.db.execute(
                    "SELECT chargeback_id, created_at FROM chargebacks "
                    "WHERE partition_date = ? AND (chargeback_id, created_at) > (?, ?) "
                    "ORDER BY chargeback_id, created_at LIMIT ?",
                    (partition_date, *after, self.page_size),
                ).fetchall()
            if not page:
                return
            yield [tuple(k) for k in page]  # type: ignore[misc]
            after = page[-1]

    def executions(self, keys: list[Key]) -> dict[Key, int | None]:
        found: dict[Key, int | None] = {}
        with self.lock:
            for cid, created in keys:
                row = self.db.execute(
                    "SELECT consolidation_execution FROM chargebacks "
                    "WHERE chargeback_id = ? AND created_at = ?",
                    (cid, created),
                ).fetchone()
                if row:
                    found[(cid, created)] = row[0]
        return found

    def stamp(self, key: Key, fields: dict[str, Any]) -> bool:
        names = ", ".join(f"{n} = ?" for n in fields)
        with self.lock:
            cursor = self.db.execute(
                f"UPDATE chargebacks SET {names} WHERE chargeback_id = ? "
                "AND created_at = ? AND (consolidation_execution IS NULL "
                "OR consolidation_execution < ?)",
                (*fields.values(), *key, fields["consolidation_execution"]),
            )
        return cursor.rowcount == 1

    def items(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM chargebacks").fetchall()
        return [
            {k: v for k, v in zip(self.names, row, strict=True) if v is not None}
            for row in rows
        ]


class DynamoStore(ChargebackStore):
    """The production table; its `partition_date-index` projects keys only."""

    parallelism = 16  # botocore's pool and standard-mode retries absorb throttling

    def __init__(self, table: str) -> None:
        import boto3
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "max_attempts": 8},
            max_pool_connections=self.parallelism,
        )
        self.client = boto3.client("dynamodb", config=config)
        self.table = table
        self.to_dynamo = TypeSerializer().serialize
        self.from_dynamo = TypeDeserializer().deserialize

    def _key(self, key: Key) -> dict[str, Any]:
        return {"chargeback_id": {"S": key[0]}, "created_at": {"S": key[1]}}

    def put(self, records: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for record in [*records, None]:
            if record is not None:
                item = {
                    k: self.to_dynamo(v) for k, v in record.items() if v is not None
                }
                batch.append({"PutRequest": {"Item": item}})
            if len(batch) == 25 or (record is None and batch):
                self._write_all(batch)
                batch = []

    def _write_all(self, requests: list[dict[str, Any]]) -> None:
        pending: Any = {self.table: requests}
        for attempt in range(10):
            left = self.client.batch_write_item(RequestItems=pending)
            pending = left.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(min(2**attempt * 0.05, 2))
        raise RuntimeError(
            f"DynamoDB kept {len(pending[self.table])} writes unprocessed"
        )

    def key_pages(self, partition_date: str) -> Iterator[list[Key]]:
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            IndexName=INDEX,
            KeyConditionExpression="partition_date = :d",
            ExpressionAttributeValues={":d": {"S": partition_date}},
        ):
            keys = [
                (i["chargeback_id"]["S"], i["created_at"]["S"]) for i in page["Items"]
            ]
            if keys:
                yield keys

    def executions(self, keys: list[Key]) -> dict[Key, int | None]:
        found: dict[Key, int | None] = {}
        for start in range(0, len(keys), 100):  # BatchGetItem's limit
            pending: dict[str, Any] = {
                self.table: {
                    "Keys": [self._key(k) for k in keys[start : start + 100]],
                    "ProjectionExpression": "chargeback_id, created_at, "
                    "consolidation_execution",
                }
            }
            for attempt in range(10):
                out = self.client.batch_get_item(RequestItems=pending)
                for item in out["Responses"].get(self.table, []):
                    seq = item.get("consolidation_execution")
                    key = (item["chargeback_id"]["S"], item["created_at"]["S"])
                    found[key] = int(seq["N"]) if seq else None
                pending = out.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(2**attempt * 0.05, 2))
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed")
        return found

    def stamp(self, key: Key, fields: dict[str, Any]) -> bool:
        names = {f"#{n}": n for n in fields}
        values = {f":{n}": self.to_dynamo(v) for n, v in fields.items()}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self._key(key),
                UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in fields),
                ConditionExpression="attribute_exists(chargeback_id) AND "
                "(attribute_not_exists(#consolidation_execution) OR "
                "#consolidation_execution < :consolidation_execution)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def items(self) -> list[dict[str, Any]]:
        out = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table):
            for item in page["Items"]:
                values = {k: self.from_dynamo(v) for k, v in item.items()}
                out.append({k: _plain(v) for k, v in values.items()})
        return out


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the other store gives int."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def chargeback_store(warehouse_root: str, is_local: bool) -> ChargebackStore:
    """DynamoDB if CHARGEBACKS_TABLE names a table, else SQLite in the warehouse."""
    table = os.environ.get("CHARGEBACKS_TABLE")
    if table:
        return DynamoStore(table)
    if not is_local:
        raise ValueError(
            "CHARGEBACKS_TABLE: required when WAREHOUSE_URI is not a local folder"
        )
    return SqliteStore(os.path.join(warehouse_root, "_stores", "chargebacks.sqlite3"))
