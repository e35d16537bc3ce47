# Congress trading: one module instance per table job (lambda/<name>/).

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
