"""Where the Congress jobs read their bronze sources from (events may override)."""

from __future__ import annotations

from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from common import ledger
from common.congress.legislators import combine, current_terms, former_terms
from common.congress.tables import (
    BRONZE_LEGISLATORS_CURRENT,
    BRONZE_LEGISLATORS_HISTORICAL,
)
from common.errors import InvalidEvent, MissingTable
from common.jobs import JobContext
from common.storage import SourceRoots, Warehouse

# What a file of the wrong shape raises while it is read as legislators.
MALFORMED = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    yaml.YAMLError,
    pl.exceptions.PolarsError,
)


def malformed(field: str, what: str, exc: Exception) -> InvalidEvent:
    problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
    return InvalidEvent(field, f"not {what}: {problem[:300]}")


class LegislatorSources(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legislators_current_uri: str | None = None
    legislators_historical_uri: str | None = None

    def uris(self, wh: Warehouse) -> dict[str, str]:
        """Each legislators field's location, checked against the source roots."""
        roots = SourceRoots.from_env(wh)
        uris = {
            "legislators_current_uri": self.legislators_current_uri
            or wh.uri(BRONZE_LEGISLATORS_CURRENT),
            "legislators_historical_uri": self.legislators_historical_uri
            or wh.uri(BRONZE_LEGISLATORS_HISTORICAL),
        }
        for field, uri in uris.items():
            roots.check(uri, field)
        return uris

    def terms(self, wh: Warehouse) -> pl.DataFrame:
        roots = SourceRoots.from_env(wh)
        uris = self.uris(wh)
        try:
            current, historical = (roots.read(u, field) for field, u in uris.items())
        except FileNotFoundError as exc:
            raise MissingTable(f"Legislators source not found: {exc}") from exc
        try:
            members = current_terms(current)
        except MALFORMED as exc:
            field = "legislators_current_uri"
            raise malformed(field, "the legislators YAML", exc) from exc
        try:
            former = former_terms(historical, members["bioguide_id"].unique())
        except MALFORMED as exc:
            field = "legislators_historical_uri"
            raise malformed(field, "the legislators CSV", exc) from exc
        return combine(members, former)


class IngestParams(LegislatorSources):
    """An ingest job's event: `source_uri` (a file, or a prefix the job expands),
    or none: every file in the job's bronze/ folder the ledger has not seen. S3's
    "Object Created" notification through EventBridge is accepted as it comes."""

    source_uri: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def from_s3_notification(cls, event: Any) -> Any:
        if isinstance(event, dict) and event.get("source") == "aws.s3":
            if event.get("detail-type") != "Object Created":
                kind = event.get("detail-type")
                raise ValueError(f"not an Object Created event: {kind}")
            detail = event.get("detail") or {}
            bucket = (detail.get("bucket") or {}).get("name")
            key = (detail.get("object") or {}).get("key")
            if not bucket or not key:
                raise ValueError("an S3 notification lacks detail.bucket/object")
            return {"source_uri": f"s3://{bucket}/{key}"}
        return event

    def files(
        self, ctx: JobContext, job: str, bronze: str, expand: bool = False
    ) -> list[str]:
        """What this run ingests: the event's file (with `expand`, every .json under
        it if it is a prefix), or every file of `bronze` that `job`'s ledger has not
        seen. Every location is checked before anything is read."""
        roots = SourceRoots.from_env(ctx.warehouse)
        if self.source_uri:
            roots.check(self.source_uri, "source_uri")
        self.uris(ctx.warehouse)
        if not self.source_uri:
            return ledger.pending(ctx, job, bronze, ".json")
        if not expand:
            return [self.source_uri]
        try:
            return roots.expand(self.source_uri, "source_uri", ".json")
        except FileNotFoundError as exc:
            raise InvalidEvent("source_uri", str(exc)) from exc
