# Congress trading: one Lambda per table job (lambda/<job>/), each allowed only the
# warehouse prefixes it reads and writes, with memory sized from its measured peak RSS
# (benchmarks/job_memory.py; the README's cost table) with at least 2x headroom.

locals {
  congress_jobs = {
    # bronze House PTR JSON -> silver + quarantine
    ingest_house_ptr = {
      read_prefixes  = ["bronze/house/", "bronze/legislators/"] # under SOURCE_ROOTS
      write_prefixes = ["silver/ptr_transactions/", "quarantine/ptr_transactions/"]
      memory_mb      = 512 # 179 MB on the real House file
    }
    # bronze Senate daily reports -> the same silver (chamber "senate") + quarantine
    ingest_senate_ptr = {
      read_prefixes  = ["bronze/senate/", "bronze/legislators/"] # under SOURCE_ROOTS
      write_prefixes = ["silver/ptr_transactions/", "quarantine/senate_ptr_transactions/", "quarantine/ptr_paper_filings/"]
      memory_mb      = 512 # the 219 real daily reports in one call; see the README's cost table
    }
    # SCD2 member dimension from the legislators files
    build_dim_members = {
      read_prefixes  = ["bronze/legislators/"]
      write_prefixes = ["gold/dimensions/dim_members/"]
      memory_mb      = 512 # 172 MB (every member of Congress since 1789)
    }
    # asset dimension from silver
    build_dim_assets = {
      read_prefixes  = ["silver/ptr_transactions/"]
      write_prefixes = ["gold/dimensions/dim_assets/"]
      memory_mb      = 1024 # 251 MB at 1M silver rows; grows with silver
    }
    # calendar covering silver's dates
    build_dim_dates = {
      read_prefixes  = ["silver/ptr_transactions/"]
      write_prefixes = ["gold/dimensions/dim_dates/"]
      memory_mb      = 512 # 144 MB at 1M silver rows (reads two date columns)
    }
    # the partitioned fact table
    build_fact_transactions = {
      read_prefixes = ["silver/ptr_transactions/", "gold/dimensions/"]
      # _state/...: the fact index (common/congress/fact_index.py), job state kept in the bucket
      write_prefixes = ["gold/facts/ptr_transactions/", "quarantine/fact_ptr_transactions/", "_state/congress/fact_ptr_transactions/"]
      memory_mb      = 2048 # a 10M-row rebuild peaks at 1.2 GB, 20M at 1.8 GB (benchmarks/README.md)
    }
    # rolling 7/30/90-day aggregates per ticker
    compute_trending_stocks = {
      read_prefixes  = ["gold/facts/ptr_transactions/", "gold/dimensions/"]
      write_prefixes = ["gold/aggregates/trending_stocks/", "gold/aggregates/trending_stocks_by_chamber/"]
      memory_mb      = 1024 # 162 MB over a 1M-row fact; reads 90 days of it
    }
  }
}
