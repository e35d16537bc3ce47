# Totesys sales warehouse: packets from the ingestion bucket -> star deltas.

locals {
  totesys_jobs = {
    # ingestion packets -> processed star-table deltas (state under _state/totesys/)
    process_totesys_packets = {
      read_prefixes  = ["ingestion/"]
      write_prefixes = ["processed/", "_state/totesys/"]
      memory_mb      = 512 # 211 MB for a 100,000-row sales_order packet
      # the seed's readers find the last packet id per table here
      ssm_parameter_prefix = var.name_prefix
    }
  }
}
