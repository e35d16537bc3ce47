# Congress trading: one Lambda per table job (lambda/<job>/), each allowed only the
# warehouse prefixes it reads and writes.

locals {
  congress_jobs = {
    # bronze House PTR JSON -> silver + quarantine
    ingest_house_ptr = {
      read_prefixes  = ["bronze/house_ptr/", "bronze/legislators/"]
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
      read_prefixes  = ["silver/ptr_transactions/", "gold/dimensions/"]
      write_prefixes = ["gold/facts/ptr_transactions/", "quarantine/fact_ptr_transactions/"]
    }
    # rolling 7/30/90-day aggregates per ticker
    compute_trending_stocks = {
      read_prefixes  = ["gold/facts/ptr_transactions/", "gold/dimensions/"]
      write_prefixes = ["gold/aggregates/trending_stocks/"]
    }
  }
}

module "congress_job" {
  source   = "./modules/table_job_lambda"
  for_each = local.congress_jobs

  name             = each.key
  zip_path         = "${var.dist_dir}/lambda.${each.key}/lambda.zip"
  read_prefixes    = each.value.read_prefixes
  write_prefixes   = each.value.write_prefixes
  name_prefix      = var.name_prefix
  warehouse_bucket = var.warehouse_bucket
  warehouse_prefix = var.warehouse_prefix
  state_table_arn  = aws_dynamodb_table.state.arn
  state_table_name = aws_dynamodb_table.state.name
  kms_key_arn      = aws_kms_key.platform.arn
  dead_letter_arn  = aws_sqs_queue.dead_letter.arn
  alarm_topic_arn  = aws_sns_topic.alerts.arn
}
