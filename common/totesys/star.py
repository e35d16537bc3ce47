"""Source deltas -> star-table rows (pure Polars). Each frame keeps `_last_updated`,
the newest source timestamp behind the row, which names the output object."""

from __future__ import annotations

import polars as pl

# ISO 4217 names of the currencies Totesys trades in (and their neighbours).
CURRENCY_NAMES = {
    "GBP": "Pound Sterling",
    "USD": "US Dollar",
    "EUR": "Euro",
    "JPY": "Yen",
    "CHF": "Swiss Franc",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
}
STAMP = "_last_updated"


def ts(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.to_datetime(strict=False)


def day(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.to_date(strict=False)


def fact_sales_order(orders: pl.DataFrame, first_record_id: int) -> pl.DataFrame:
    """Every version of an order is a new fact row; ids increase in version order."""
    return (
        orders.with_columns(created=ts("created_at"), updated=ts("last_updated"))
        .sort("updated", "sales_order_id")
        .select(
            sales_record_id=pl.int_range(pl.len(), dtype=pl.Int64) + first_record_id,
            sales_order_id=pl.col("sales_order_id").cast(pl.Int64, strict=False),
            created_date=pl.col("created").dt.date(),
            created_time=pl.col("created").dt.time(),
            last_updated_date=pl.col("updated").dt.date(),
            last_updated_time=pl.col("updated").dt.time(),
            sales_staff_id=pl.col("staff_id").cast(pl.Int64, strict=False),
            counterparty_id=pl.col("counterparty_id").cast(pl.Int64, strict=False),
            units_sold=pl.col("units_sold").cast(pl.Int64, strict=False),
            unit_price=pl.col("unit_price").cast(pl.Decimal(10, 2), strict=False),
            currency_id=pl.col("currency_id").cast(pl.Int64, strict=False),
            design_id=pl.col("design_id").cast(pl.Int64, strict=False),
            agreed_payment_date=day("agreed_payment_date"),
            agreed_delivery_date=day("agreed_delivery_date"),
            agreed_delivery_location_id=pl.col("agreed_delivery_location_id").cast(
                pl.Int64, strict=False
            ),
            **{STAMP: pl.col("updated")},
        )
    )


def dim_date(facts: pl.DataFrame) -> pl.DataFrame:
    cols = [
        "created_date",
        "last_updated_date",
        "agreed_payment_date",
        "agreed_delivery_date",
    ]
    dates = pl.concat([facts.select(pl.col(c).alias("date_id"), STAMP) for c in cols])
    d = pl.col("date_id").dt
    return (
        dates.drop_nulls("date_id")
        .group_by("date_id")
        .agg(pl.col(STAMP).max())
        .sort("date_id")
        .select(
            "date_id",
            year=d.year(),
            month=d.month(),
            day=d.day(),
            day_of_week=d.weekday(),
            day_name=d.strftime("%A"),
            month_name=d.strftime("%B"),
            quarter=d.quarter(),
            **{STAMP: pl.col(STAMP)},
        )
    )


def dim_staff(staff: pl.DataFrame, departments: pl.DataFrame) -> pl.DataFrame:
    return staff.join(
        departments, on="department_id", how="inner", suffix="_dept"
    ).select(
        pl.col("staff_id").cast(pl.Int64),
        "first_name",
        "last_name",
        "department_name",
        "location",
        "email_address",
        **{STAMP: pl.max_horizontal(ts("last_updated"), ts("last_updated_dept"))},
    )


def dim_location(addresses: pl.DataFrame) -> pl.DataFrame:
    return addresses.select(
        location_id=pl.col("address_id").cast(pl.Int64),
        **{
            c: pl.col(c).cast(pl.String)
            for c in [
                "address_line_1",
                "address_line_2",
                "district",
                "city",
                "postal_code",
                "country",
                "phone",
            ]
        },
        **{STAMP: ts("last_updated")},
    )


def dim_currency(currencies: pl.DataFrame) -> pl.DataFrame:
    return currencies.select(
        pl.col("currency_id").cast(pl.Int64),
        "currency_code",
        currency_name=pl.col("currency_code").replace_strict(
            CURRENCY_NAMES, default=None, return_dtype=pl.String
        ),
        **{STAMP: ts("last_updated")},
    )


def dim_design(designs: pl.DataFrame) -> pl.DataFrame:
    return designs.select(
        pl.col("design_id").cast(pl.Int64),
        "design_name",
        "file_location",
        "file_name",
        **{STAMP: ts("last_updated")},
    )


def dim_counterparty(
    counterparties: pl.DataFrame, addresses: pl.DataFrame
) -> pl.DataFrame:
    joined = counterparties.join(
        addresses,
        left_on="legal_address_id",
        right_on="address_id",
        how="inner",
        suffix="_addr",
    )
    legal = {
        "counterparty_legal_address_line_1": "address_line_1",
        "counterparty_legal_address_line_2": "address_line_2",
        "counterparty_legal_district": "district",
        "counterparty_legal_city": "city",
        "counterparty_legal_postal_code": "postal_code",
        "counterparty_legal_country": "country",
        "counterparty_legal_phone_number": "phone",
    }
    return joined.select(
        pl.col("counterparty_id").cast(pl.Int64),
        "counterparty_legal_name",
        **{k: pl.col(v) for k, v in legal.items()},
        **{STAMP: pl.max_horizontal(ts("last_updated"), ts("last_updated_addr"))},
    )
