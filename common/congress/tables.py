"""Where the Congress tables live in the warehouse (keys relative to its root)."""

SILVER_PTR = "silver/ptr_transactions"
FACT_PTR = "gold/facts/ptr_transactions"
QUARANTINE = "quarantine"
DIMENSIONS = {
    name: f"gold/dimensions/{name}/{name}.parquet"
    for name in ("dim_members", "dim_assets", "dim_dates")
}


def fact_partition_key(year: int, month: int) -> str:
    """A month's base file; appended files sit beside it (`appended_key`)."""
    return f"{FACT_PTR}/year={year:04d}/month={month:02d}/transactions.parquet"


def appended_key(base: str, suffix: str) -> str:
    """An appended file of the month whose base file is `base`."""
    return base.removesuffix(".parquet") + f"-{suffix}.parquet"


def month_folder(key: str) -> str:
    """The month folder of any of its files."""
    return key.rsplit("/", 1)[0] + "/"


BRONZE_LEGISLATORS_CURRENT = "bronze/legislators/legislators-current.yaml"
BRONZE_LEGISLATORS_HISTORICAL = "bronze/legislators/legislators-historical.csv"
QUARANTINE_PTR = "quarantine/ptr_transactions"  # House rows, as the House file has them
QUARANTINE_SENATE_PTR = "quarantine/senate_ptr_transactions"  # Senate rows, likewise
TRENDING = "gold/aggregates/trending_stocks"
TRENDING_BY_CHAMBER = "gold/aggregates/trending_stocks_by_chamber"


def trending_key(as_of: object, chamber: str | None = None) -> str:
    if chamber:
        return f"{TRENDING_BY_CHAMBER}/chamber={chamber}/as_of={as_of}/trending.parquet"
    return f"{TRENDING}/as_of={as_of}/trending.parquet"


# Every Congress table, in build order (for reports and comparisons).
ALL = [
    SILVER_PTR,
    *(k.rsplit("/", 1)[0] for k in DIMENSIONS.values()),
    FACT_PTR,
    TRENDING,
    TRENDING_BY_CHAMBER,
    QUARANTINE,
]
