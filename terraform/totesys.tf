# Totesys sales warehouse: packets from the ingestion bucket -> star deltas.

locals {
  totesys_jobs = {
    # ingestion packets -> processed star-table deltas (state under _state/totesys/)
    process_totesys_packets = {
      read_prefixes  = ["ingestion/"]
      write_prefixes = ["processed/", "_state/totesys/"]
      # the seed's readers find the last packet id per table here
      ssm_parameter_prefix = var.name_prefix
    }
  }
}
