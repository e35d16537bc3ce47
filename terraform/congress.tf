# Congress trading: one module instance per table job (lambda/<name>/).

# Bronze House PTR JSON -> silver + quarantine.
module "ingest_house_ptr" {
  source           = "./modules/table_job_lambda"
  name             = "ingest_house_ptr"
  zip_path         = "${var.dist_dir}/lambda.ingest_house_ptr/lambda.zip"
  read_prefixes    = ["bronze/house_ptr/", "bronze/legislators/"]
  write_prefixes   = ["silver/ptr_transactions/", "quarantine/ptr_transactions/"]
  name_prefix      = local.job_defaults.name_prefix
  warehouse_bucket = local.job_defaults.warehouse_bucket
  warehouse_prefix = local.job_defaults.warehouse_prefix
  state_table_arn  = local.job_defaults.state_table_arn
  state_table_name = local.job_defaults.state_table_name
  kms_key_arn      = local.job_defaults.kms_key_arn
  dead_letter_arn  = local.job_defaults.dead_letter_arn
  alarm_topic_arn  = local.job_defaults.alarm_topic_arn
}

# SCD2 member dimension from the legislators files.
module "build_dim_members" {
  source           = "./modules/table_job_lambda"
  name             = "build_dim_members"
  zip_path         = "${var.dist_dir}/lambda.build_dim_members/lambda.zip"
  read_prefixes    = ["bronze/legislators/"]
  write_prefixes   = ["gold/dimensions/dim_members/"]
  name_prefix      = local.job_defaults.name_prefix
  warehouse_bucket = local.job_defaults.warehouse_bucket
  warehouse_prefix = local.job_defaults.warehouse_prefix
  state_table_arn  = local.job_defaults.state_table_arn
  state_table_name = local.job_defaults.state_table_name
  kms_key_arn      = local.job_defaults.kms_key_arn
  dead_letter_arn  = local.job_defaults.dead_letter_arn
  alarm_topic_arn  = local.job_defaults.alarm_topic_arn
}

# Asset dimension from silver.
module "build_dim_assets" {
  source           = "./modules/table_job_lambda"
  name             = "build_dim_assets"
  zip_path         = "${var.dist_dir}/lambda.build_dim_assets/lambda.zip"
  read_prefixes    = ["silver/ptr_transactions/"]
  write_prefixes   = ["gold/dimensions/dim_assets/"]
  name_prefix      = local.job_defaults.name_prefix
  warehouse_bucket = local.job_defaults.warehouse_bucket
  warehouse_prefix = local.job_defaults.warehouse_prefix
  state_table_arn  = local.job_defaults.state_table_arn
  state_table_name = local.job_defaults.state_table_name
  kms_key_arn      = local.job_defaults.kms_key_arn
  dead_letter_arn  = local.job_defaults.dead_letter_arn
  alarm_topic_arn  = local.job_defaults.alarm_topic_arn
}

# Calendar covering silver's dates.
module "build_dim_dates" {
  source           = "./modules/table_job_lambda"
  name             = "build_dim_dates"
  zip_path         = "${var.dist_dir}/lambda.build_dim_dates/lambda.zip"
  read_prefixes    = ["silver/ptr_transactions/"]
  write_prefixes   = ["gold/dimensions/dim_dates/"]
  name_prefix      = local.job_defaults.name_prefix
  warehouse_bucket = local.job_defaults.warehouse_bucket
  warehouse_prefix = local.job_defaults.warehouse_prefix
  state_table_arn  = local.job_defaults.state_table_arn
  state_table_name = local.job_defaults.state_table_name
  kms_key_arn      = local.job_defaults.kms_key_arn
  dead_letter_arn  = local.job_defaults.dead_letter_arn
  alarm_topic_arn  = local.job_defaults.alarm_topic_arn
}

# The partitioned fact table.
module "build_fact_transactions" {
  source           = "./modules/table_job_lambda"
  name             = "build_fact_transactions"
  zip_path         = "${var.dist_dir}/lambda.build_fact_transactions/lambda.zip"
  read_prefixes    = ["silver/ptr_transactions/", "gold/dimensions/"]
  write_prefixes   = ["gold/facts/ptr_transactions/", "quarantine/fact_ptr_transactions/"]
  name_prefix      = local.job_defaults.name_prefix
  warehouse_bucket = local.job_defaults.warehouse_bucket
  warehouse_prefix = local.job_defaults.warehouse_prefix
  state_table_arn  = local.job_defaults.state_table_arn
  state_table_name = local.job_defaults.state_table_name
  kms_key_arn      = local.job_defaults.kms_key_arn
  dead_letter_arn  = local.job_defaults.dead_letter_arn
  alarm_topic_arn  = local.job_defaults.alarm_topic_arn
}

# Rolling 7/30/90-day aggregates per ticker.
module "compute_trending_stocks" {
  source           = "./modules/table_job_lambda"
  name             = "compute_trending_stocks"
  zip_path         = "${var.dist_dir}/lambda.compute_trending_stocks/lambda.zip"
  read_prefixes    = ["gold/facts/ptr_transactions/", "gold/dimensions/"]
  write_prefixes   = ["gold/aggregates/trending_stocks/"]
  name_prefix      = local.job_defaults.name_prefix
  warehouse_bucket = local.job_defaults.warehouse_bucket
  warehouse_prefix = local.job_defaults.warehouse_prefix
  state_table_arn  = local.job_defaults.state_table_arn
  state_table_name = local.job_defaults.state_table_name
  kms_key_arn      = local.job_defaults.kms_key_arn
  dead_letter_arn  = local.job_defaults.dead_letter_arn
  alarm_topic_arn  = local.job_defaults.alarm_topic_arn
}
