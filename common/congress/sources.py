"""Where the Congress jobs read their bronze sources from (events may override)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress.legislators import all_terms
from common.congress.tables import (
    BRONZE_LEGISLATORS_CURRENT,
    BRONZE_LEGISLATORS_HISTORICAL,
)
from common.errors import MissingTable
from common.storage import SourceRoots, Warehouse


class LegislatorSources(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legislators_current_uri: str | None = None
    legislators_historical_uri: str | None = None

    def terms(self, wh: Warehouse) -> pl.DataFrame:
        roots = SourceRoots.from_env(wh)
        uris = {
            "legislators_current_uri": self.legislators_current_uri
            or wh.uri(BRONZE_LEGISLATORS_CURRENT),
            "legislators_historical_uri": self.legislators_historical_uri
            or wh.uri(BRONZE_LEGISLATORS_HISTORICAL),
        }
        try:
            current, historical = (roots.read(u, field) for field, u in uris.items())
        except FileNotFoundError as exc:
            raise MissingTable(f"Legislators source not found: {exc}") from exc
        return all_terms(current, historical)
