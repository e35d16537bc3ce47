"""Where the Congress jobs read their bronze sources from (events may override)."""

from __future__ import annotations

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict

from common.congress.legislators import combine, current_terms, former_terms
from common.congress.tables import (
    BRONZE_LEGISLATORS_CURRENT,
    BRONZE_LEGISLATORS_HISTORICAL,
)
from common.errors import InvalidEvent, MissingTable
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
