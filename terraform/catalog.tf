# Tables analysts can query: the Glue Data Catalog database whose tables
# (catalog_tables.tf.json) are generated from the Pandera schemas, and an Athena
# workgroup whose results are encrypted with the platform key.

resource "aws_glue_catalog_database" "warehouse" {
  name        = replace("${var.name_prefix}_warehouse", "-", "_")
  description = "The data platform's gold tables and the Totesys star schema."
}

resource "aws_athena_workgroup" "analysts" {
  name = "${var.name_prefix}-analysts"

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true

    result_configuration {
      output_location = "s3://${aws_s3_bucket.warehouse.bucket}/athena-results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.platform.arn
      }
    }
  }
}
