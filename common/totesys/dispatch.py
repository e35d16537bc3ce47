"""Which star rows a packet of each source table changes (per-table dispatch)."""

from __future__ import annotations

import polars as pl

from common.totesys import star

# The only source tables whose latest rows a star table needs beyond the packet
# itself, and the ones each packet table reads: staff rows join their department,
# a department change re-emits its staff, and the same for counterparty <- address.
# Other tables (sales_order among them) keep no state: their cost is the packet's.
READS = {
    "staff": ["department"],
    "department": ["staff"],
    "address": ["counterparty"],
    "counterparty": ["address"],
}


def absorb(before: pl.DataFrame | None, delta: pl.DataFrame, pk: str) -> pl.DataFrame:
    """Latest row per primary key, by last_updated."""
    both = (
        delta if before is None else pl.concat([before, delta], how="diagonal_relaxed")
    )
    return both.sort("last_updated").unique(pk, keep="last").sort(pk)


def star_rows(
    table: str, delta: pl.DataFrame, known: dict[str, pl.DataFrame | None], next_id: int
) -> dict[str, pl.DataFrame]:
    """The star rows a delta of `table` changes (`known`: source states after it)."""
    staff, dept = known.get("staff"), known.get("department")
    addr, cps = known.get("address"), known.get("counterparty")
    if table == "sales_order":
        facts = star.fact_sales_order(delta, next_id)
        return {"fact_sales_order": facts, "dim_date": star.dim_date(facts)}
    if table == "staff" and dept is not None:
        return {"dim_staff": star.dim_staff(delta, dept)}
    if table == "department" and staff is not None and dept is not None:
        moved = staff.filter(
            pl.col("department_id").is_in(delta["department_id"].implode())
        )
        return {"dim_staff": star.dim_staff(moved, dept)}
    if table == "address":
        out = {"dim_location": star.dim_location(delta)}
        if cps is not None and addr is not None:
            hit = cps.filter(
                pl.col("legal_address_id").is_in(delta["address_id"].implode())
            )
            out["dim_counterparty"] = star.dim_counterparty(hit, addr)
        return out
    if table == "counterparty" and addr is not None:
        return {"dim_counterparty": star.dim_counterparty(delta, addr)}
    if table == "currency":
        return {"dim_currency": star.dim_currency(delta)}
    if table == "design":
        return {"dim_design": star.dim_design(delta)}
    # a dependant arriving before what it references is emitted when that arrives;
    # payment_type, purchase_order, transaction, payment only update state
    return {}
