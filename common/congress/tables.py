"""Where the Congress tables live in the warehouse (keys relative to its root)."""

import zlib

SILVER_PTR = "silver/ptr_transactions"
FACT_PTR = "gold/facts/ptr_transactions"
QUARANTINE = "quarantine"
DIMENSIONS = {
    name: f"gold/dimensions/{name}/{name}.parquet"
    for name in ("dim_members", "dim_assets", "dim_dates")
}


def fact_partition_key(year: int, month: int) -> str:
    """A month's base file. A rebuild writes a month as numbered files (`chunk_key`);
    increments add files named by their content (`appended_key`) beside them."""
    return f"{FACT_PTR}/year={year:04d}/month={month:02d}/transactions.parquet"


def appended_key(base: str, suffix: str) -> str:
    """An appended file of the month whose base file is `base`."""
    return base.removesuffix(".parquet") + f"-{suffix}.parquet"


def chunk_key(base: str, n: int) -> str:
    """The n-th file a rebuild writes for the month whose base file is `base`."""
    return base if n == 0 else appended_key(base, str(n))


def is_chunk(key: str) -> bool:
    """Whether `key` is a file a rebuild wrote (not an appended or compacted one,
    whose names end in a 16-character digest)."""
    suffix = key.rsplit("/", 1)[1].removeprefix("transactions").removesuffix(".parquet")
    return suffix == "" or (suffix[1:].isdigit() and len(suffix) <= 7)


def partition_of(key: str) -> int:
    """The month (YYYYMM) of a fact file's key."""
    year, month = key.split("/year=")[1].split("/month=")
    return int(year) * 100 + int(month[:2])


def file_id(key: str) -> int:
    """A fact file's identity in the fact index: the CRC-32 of its name."""
    return zlib.crc32(key.rsplit("/", 1)[1].encode())


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
