# Chargebacks: the event-log checkpoint (a table job: S3 notification -> Lambda, see
# pipelines.tf's triggers) and the consolidation updater (an MSK consumer writing the
# chargebacks table), with the table, the on-failure bucket and their alarms.

locals {
  chargebacks_jobs = {
    # bronze/event_logs/*.jsonl -> gold/chargebacks/{events,checkpoint}
    checkpoint_event_log = {
      read_prefixes  = ["bronze/event_logs/", "gold/chargebacks/"]
      write_prefixes = ["gold/chargebacks/", "quarantine/chargeback_events/"]
      memory_mb      = 2560 # 1,230 MB peak for a month (~1M events) in one call
    }
  }
}

# --- the chargebacks table ------------------------------------------------------

resource "aws_dynamodb_table" "chargebacks" {
  name                        = "${var.name_prefix}-chargebacks"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "chargeback_id"
  range_key                   = "created_at"
  deletion_protection_enabled = true

  attribute {
    name = "chargeback_id"
    type = "S"
  }
  attribute {
    name = "created_at"
    type = "S"
  }
  attribute {
    name = "partition_date"
    type = "S"
  }

  # what the updater pages through: keys only, so a partition date costs keys
  global_secondary_index {
    name            = "partition_date-index"
    hash_key        = "partition_date"
    projection_type = "KEYS_ONLY"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.platform.arn
  }
}

# --- where failed batches go: the whole invocation record, for the redrive ------

resource "aws_s3_bucket" "failed_batches" {
  #checkov:skip=CKV_AWS_144:Failed batches are replayed within days; no second region.
  #checkov:skip=CKV2_AWS_62:The alarm below watches PutRequests; no event consumer.
  bucket = "${var.warehouse_bucket}-failed-batches"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "failed_batches" {
  bucket = aws_s3_bucket.failed_batches.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.platform.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_policy" "failed_batches" {
  bucket = aws_s3_bucket.failed_batches.id
  policy = data.aws_iam_policy_document.tls_only["failed_batches"].json
}

resource "aws_s3_bucket_logging" "failed_batches" {
  bucket        = aws_s3_bucket.failed_batches.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${aws_s3_bucket.failed_batches.bucket}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "failed_batches" {
  bucket = aws_s3_bucket.failed_batches.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 90
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }
}

resource "aws_s3_bucket_metric" "failed_batches" {
  bucket = aws_s3_bucket.failed_batches.id
  name   = "EntireBucket"
}

# --- the consumer: modules/kafka_consumer_lambda, with what it may touch --------

# The calls DynamoStore makes (tests/test_terraform_chargebacks.py reads them from
# common/chargebacks/store.py and compares).
data "aws_iam_policy_document" "consumer" {
  statement {
    sid       = "PageKeysOfAPartitionDate"
    actions   = ["dynamodb:Query"]
    resources = ["${aws_dynamodb_table.chargebacks.arn}/index/partition_date-index"]
  }
  statement {
    sid       = "ReadExecutionsAndStamp"
    actions   = ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.chargebacks.arn]
  }
}

module "update_consolidation" {
  source = "./modules/kafka_consumer_lambda"

  name               = "update_consolidation"
  name_prefix        = var.name_prefix
  zip_path           = "${var.dist_dir}/lambda.update_consolidation/lambda.zip"
  layers             = [for layer in local.layers : aws_lambda_layer_version.this[layer].arn]
  memory_mb          = 512 # 106 MB peak for a batch of 100 messages (README)
  environment        = { CHARGEBACKS_TABLE = aws_dynamodb_table.chargebacks.name }
  policy_json        = data.aws_iam_policy_document.consumer.json
  kms_key_arn        = aws_kms_key.platform.arn
  alarm_topic_arn    = aws_sns_topic.alerts.arn
  msk_cluster_arn    = var.msk_cluster_arn
  topic              = var.consolidation_topic
  subnet_ids         = var.msk_subnet_ids
  security_group_id  = var.msk_security_group_id
  failure_bucket_arn = aws_s3_bucket.failed_batches.arn
  lag_threshold      = var.consumer_lag_threshold
}

# --- anything landing in the on-failure bucket: run the redrive -----------------

resource "aws_cloudwatch_metric_alarm" "failed_batches" {
  alarm_name          = "${var.name_prefix}-update_consolidation-failed-batches"
  alarm_description   = "A consolidation batch landed in the on-failure bucket: run the redrive"
  namespace           = "AWS/S3"
  metric_name         = "PutRequests"
  dimensions          = { BucketName = aws_s3_bucket.failed_batches.bucket, FilterId = aws_s3_bucket_metric.failed_batches.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}
