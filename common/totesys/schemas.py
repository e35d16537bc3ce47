"""The Totesys analysts' star schema, one Pandera model per table."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl


class FactSalesOrder(pa.DataFrameModel):
    sales_record_id: pl.Int64 = pa.Field(unique=True, ge=1)
    sales_order_id: pl.Int64
    created_date: pl.Date
    created_time: pl.Time
    last_updated_date: pl.Date
    last_updated_time: pl.Time
    sales_staff_id: pl.Int64
    counterparty_id: pl.Int64
    units_sold: pl.Int64 = pa.Field(ge=0)
    unit_price: pl.Decimal(10, 2) = pa.Field(ge=0)  # type: ignore[valid-type]
    currency_id: pl.Int64
    design_id: pl.Int64
    agreed_payment_date: pl.Date
    agreed_delivery_date: pl.Date
    agreed_delivery_location_id: pl.Int64

    class Config:
        strict = True


class DimDate(pa.DataFrameModel):
    date_id: pl.Date = pa.Field(unique=True)
    year: pl.Int32
    month: pl.Int8 = pa.Field(in_range={"min_value": 1, "max_value": 12})
    day: pl.Int8
    day_of_week: pl.Int8 = pa.Field(in_range={"min_value": 1, "max_value": 7})
    day_name: pl.String
    month_name: pl.String
    quarter: pl.Int8

    class Config:
        strict = True
        coerce = True


class DimStaff(pa.DataFrameModel):
    staff_id: pl.Int64 = pa.Field(unique=True)
    first_name: pl.String
    last_name: pl.String
    department_name: pl.String
    location: pl.String
    email_address: pl.String = pa.Field(str_contains="@")

    class Config:
        strict = True


class DimLocation(pa.DataFrameModel):
    location_id: pl.Int64 = pa.Field(unique=True)
    address_line_1: pl.String
    address_line_2: pl.String = pa.Field(nullable=True)
    district: pl.String = pa.Field(nullable=True)
    city: pl.String
    postal_code: pl.String
    country: pl.String
    phone: pl.String

    class Config:
        strict = True


class DimCurrency(pa.DataFrameModel):
    currency_id: pl.Int64 = pa.Field(unique=True)
    currency_code: pl.String = pa.Field(str_length={"min_value": 3, "max_value": 3})
    currency_name: pl.String

    class Config:
        strict = True


class DimDesign(pa.DataFrameModel):
    design_id: pl.Int64 = pa.Field(unique=True)
    design_name: pl.String
    file_location: pl.String
    file_name: pl.String

    class Config:
        strict = True


class DimCounterparty(pa.DataFrameModel):
    counterparty_id: pl.Int64 = pa.Field(unique=True)
    counterparty_legal_name: pl.String
    counterparty_legal_address_line_1: pl.String
    counterparty_legal_address_line_2: pl.String = pa.Field(nullable=True)
    counterparty_legal_district: pl.String = pa.Field(nullable=True)
    counterparty_legal_city: pl.String
    counterparty_legal_postal_code: pl.String
    counterparty_legal_country: pl.String
    counterparty_legal_phone_number: pl.String

    class Config:
        strict = True


STAR = {
    "fact_sales_order": FactSalesOrder,
    "dim_date": DimDate,
    "dim_staff": DimStaff,
    "dim_location": DimLocation,
    "dim_currency": DimCurrency,
    "dim_design": DimDesign,
    "dim_counterparty": DimCounterparty,
}
