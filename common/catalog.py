"""The Glue Data Catalog tables analysts query with Athena, generated from the tables'
Pandera schemas (terraform/catalog_tables.tf.json; `cli pipelines` writes it with the
state machines, and a test fails if it differs).

Names are the ones `cli query` gives the same tables locally (common/query.py).
Partitions are projected from the object layout, so no crawler runs: the fact by
year and month, trending by as-of date (and chamber).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandera.polars as pa
import polars as pl

from common.chargebacks import schemas as chargebacks
from common.congress import schemas as congress
from common.congress.tables import FACT_PTR, TRENDING, TRENDING_BY_CHAMBER
from common.totesys.schemas import STAR

# Polars dtype -> Hive/Athena column type. A Parquet TIME has no Hive type: Athena
# reads its raw count (microseconds since midnight) as bigint.
HIVE = {
    pl.Int8: "tinyint",
    pl.Int16: "smallint",
    pl.Int32: "int",
    pl.Int64: "bigint",
    pl.UInt32: "bigint",
    pl.Float64: "double",
    pl.String: "string",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Datetime: "timestamp",
    pl.Time: "bigint",
}
ROOT = "s3://${var.warehouse_bucket}/${var.warehouse_prefix}"
PARQUET = {
    "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "ser_de_info": {
        "serialization_library": "org.apache.hadoop.hive.ql.io.parquet.serde."
        "ParquetHiveSerDe"
    },
}
AS_OF = {  # trending's as_of=YYYY-MM-DD folders
    "projection.as_of.type": "date",
    "projection.as_of.format": "yyyy-MM-dd",
    "projection.as_of.range": "2012-01-01,NOW",
    "projection.as_of.interval": "1",
    "projection.as_of.interval.unit": "DAYS",
}


def hive_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    return HIVE[dtype.base_type()]


@dataclass(frozen=True)
class Table:
    name: str
    model: type[pa.DataFrameModel]
    prefix: str  # under the warehouse root
    partitions: dict[str, str] = field(default_factory=dict)  # name -> Hive type
    projection: dict[str, str] = field(default_factory=dict)
    template: str = ""  # storage.location.template below the table's location


TABLES = [
    Table("dim_members", congress.DimMembers, "gold/dimensions/dim_members"),
    Table("dim_assets", congress.DimAssets, "gold/dimensions/dim_assets"),
    Table("dim_dates", congress.DimDates, "gold/dimensions/dim_dates"),
    Table(
        "fact_ptr_transactions",
        congress.FactPtrTransactions,
        FACT_PTR,
        {"year": "int", "month": "int"},
        {
            "projection.year.type": "integer",
            "projection.year.range": "2012,2100",
            "projection.month.type": "integer",
            "projection.month.range": "1,12",
            "projection.month.digits": "2",
        },
        "year=$${year}/month=$${month}/",
    ),
    Table(
        "trending_stocks",
        congress.TrendingStocks,
        TRENDING,
        {"as_of": "date"},
        AS_OF,
        "as_of=$${as_of}/",
    ),
    Table(
        "trending_stocks_by_chamber",
        congress.TrendingStocks,
        TRENDING_BY_CHAMBER,
        {"chamber": "string", "as_of": "date"},
        {
            "projection.chamber.type": "enum",
            "projection.chamber.values": "house,senate",
            **AS_OF,
        },
        "chamber=$${chamber}/as_of=$${as_of}/",
    ),
    *(Table(name, model, f"processed/{name}") for name, model in STAR.items()),
    Table(
        "chargeback_events",
        chargebacks.Events,
        "gold/chargebacks/events",
        {"date": "date"},
        {
            "projection.date.type": "date",
            "projection.date.format": "yyyy-MM-dd",
            "projection.date.range": "2010-01-01,NOW",
            "projection.date.interval": "1",
            "projection.date.interval.unit": "DAYS",
        },
        "date=$${date}/",
    ),
    Table(
        "chargeback_checkpoint", chargebacks.Checkpoint, "gold/chargebacks/checkpoint"
    ),
]


def columns(
    model: type[pa.DataFrameModel], partitions: dict[str, str]
) -> list[dict[str, str]]:
    """The model's columns but its partition keys (Athena refuses both)."""
    schema = model.to_schema().columns
    return [
        {"name": n, "type": hive_type(c.dtype.type)}
        for n, c in schema.items()
        if n not in partitions
    ]


def glue_table(table: Table) -> dict[str, Any]:
    location = f"{ROOT}/{table.prefix}/"
    parameters = {"classification": "parquet", "EXTERNAL": "TRUE"}
    if table.projection:
        parameters |= {"projection.enabled": "true", **table.projection}
        parameters["storage.location.template"] = location + table.template
    return {
        "name": table.name,
        "database_name": "${aws_glue_catalog_database.warehouse.name}",
        "table_type": "EXTERNAL_TABLE",
        "parameters": parameters,
        "partition_keys": [{"name": n, "type": t} for n, t in table.partitions.items()],
        "storage_descriptor": {
            "location": location,
            **PARQUET,
            "columns": columns(table.model, table.partitions),
        },
    }


def rendered() -> str:
    """terraform/catalog_tables.tf.json (Terraform's JSON syntax)."""
    doc = {
        "//": "generated by common/catalog.py from the Pandera schemas: do not edit",
        "resource": {"aws_glue_catalog_table": {t.name: glue_table(t) for t in TABLES}},
    }
    return json.dumps(doc, indent=2) + "\n"
