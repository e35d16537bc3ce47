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
from common.storage import Warehouse, read_uri


class LegislatorSources(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legislators_current_uri: str | None = None
    legislators_historical_uri: str | None = None

    def terms(self, wh: Warehouse) -> pl.DataFrame:
        uris = [
            self.legislators_current_uri or wh.uri(BRONZE_LEGISLATORS_CURRENT),
            self.legislators_historical_uri or wh.uri(BRONZE_LEGISLATORS_HISTORICAL),
        ]
        try:
            current, historical = (read_uri(u) for u in uris)
        except FileNotFoundError as exc:
            raise MissingTable(f"Legislators source not found: {exc}") from exc
        return all_terms(current, historical)
