# Every table job of every tenant: one instance of the table-job module each.
# The tenants' maps (congress.tf, totesys.tf) say what each job may touch.

module "job" {
  source   = "./modules/table_job_lambda"
  for_each = merge(local.congress_jobs, local.totesys_jobs, local.chargebacks_jobs)

  name                 = each.key
  zip_path             = "${var.dist_dir}/lambda.${each.key}/lambda.zip"
  layers               = [for layer in local.layers : aws_lambda_layer_version.this[layer].arn]
  read_prefixes        = each.value.read_prefixes
  write_prefixes       = each.value.write_prefixes
  ssm_parameter_prefix = lookup(each.value, "ssm_parameter_prefix", "")
  memory_mb            = each.value.memory_mb
  name_prefix          = var.name_prefix
  warehouse_bucket     = var.warehouse_bucket
  warehouse_prefix     = var.warehouse_prefix
  state_table_arn      = aws_dynamodb_table.state.arn
  state_table_name     = aws_dynamodb_table.state.name
  kms_key_arn          = aws_kms_key.platform.arn
  dead_letter_arn      = aws_sqs_queue.dead_letter.arn
  alarm_topic_arn      = aws_sns_topic.alerts.arn
}
