# Congress trading: one Lambda per table job (lambda/<job>/), each allowed only the
# warehouse prefixes it reads and writes.

locals {
  congress_jobs = {
    # bronze House PTR JSON -> silver + quarantine
    ingest_house_ptr = {
      read_prefixes  = ["bronze/house/", "bronze/legislators/"] # under SOURCE_ROOTS
      write_prefixes = ["silver/ptr_transactions/", "quarantine/ptr_transactions/"]
    }
    # SCD2 member dimension from the legislators files
    build_dim_members = {
      read_prefixes  = ["bronze/legislators/"]
      write_prefixes = ["gold/dimensions/dim_members/"]
    }
    # asset dimension from silver
    build_dim_assets = {
      read_prefixes  = ["silver/ptr_transactions/"]
      write_prefixes = ["gold/dimensions/dim_assets/"]
    }
    # calendar covering silver's dates
    build_dim_dates = {
      read_prefixes  = ["silver/ptr_transactions/"]
      write_prefixes = ["gold/dimensions/dim_dates/"]
    }
    # the partitioned fact table
    build_fact_transactions = {
      read_prefixes = ["silver/ptr_transactions/", "gold/dimensions/"]
      # _state/...: the fact index (common/congress/fact_index.py), job state kept in the bucket
      write_prefixes = ["gold/facts/ptr_transactions/", "quarantine/fact_ptr_transactions/", "_state/congress/fact_ptr_transactions/"]
    }
    # rolling 7/30/90-day aggregates per ticker
    compute_trending_stocks = {
      read_prefixes  = ["gold/facts/ptr_transactions/", "gold/dimensions/"]
      write_prefixes = ["gold/aggregates/trending_stocks/"]
    }
  }
}
