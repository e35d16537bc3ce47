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
  consumer_name = "${var.name_prefix}-update_consolidation"
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

# --- the consumer -------------------------------------------------------------

resource "aws_cloudwatch_log_group" "consumer" {
  name              = "/aws/lambda/${local.consumer_name}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.platform.arn
}

resource "aws_iam_role" "consumer" {
  name               = local.consumer_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

locals {
  msk_cluster = split("/", var.msk_cluster_arn)
  # arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> -> its topics and groups
  msk_resource = "${replace(local.msk_cluster[0], ":cluster", "")}:%s/${local.msk_cluster[1]}/${local.msk_cluster[2]}/%s"
}

# What update_consolidation does and nothing else (tests/test_terraform_chargebacks.py
# checks these against the calls in common/chargebacks/store.py).
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
  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.platform.arn]
  }
  statement {
    sid       = "ConsumeWithIamAuth"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"]
    resources = [var.msk_cluster_arn]
  }
  statement {
    sid       = "ReadTheTopic"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = [format(local.msk_resource, "topic", var.consolidation_topic)]
  }
  statement {
    sid       = "CommitOffsets"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = [format(local.msk_resource, "group", local.consumer_name)]
  }
  statement {
    sid       = "OnFailureDestination"
    actions   = ["s3:PutObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.failed_batches.arn, "${aws_s3_bucket.failed_batches.arn}/*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.consumer.arn}:*"]
  }
}

resource "aws_iam_role_policy" "consumer" {
  name   = "consumer"
  role   = aws_iam_role.consumer.id
  policy = data.aws_iam_policy_document.consumer.json
}

# The pollers' network interfaces in the cluster's VPC, and cluster metadata.
resource "aws_iam_role_policy_attachment" "consumer_msk" {
  role       = aws_iam_role.consumer.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole"
}

resource "aws_iam_role_policy_attachment" "consumer_xray" {
  role       = aws_iam_role.consumer.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_lambda_function" "update_consolidation" {
  #checkov:skip=CKV_AWS_117:Its only peer is DynamoDB's public endpoint; the ESM's pollers, not the function, sit in the MSK VPC.
  #checkov:skip=CKV_AWS_272:The zip is built and hashed by Pants in CI; AWS Signer is not part of this pipeline.
  #checkov:skip=CKV_AWS_116:An event source mapping's failures go to its on-failure destination (the bucket), not a DLQ.
  function_name                  = local.consumer_name
  filename                       = "${var.dist_dir}/lambda.update_consolidation/lambda.zip"
  source_code_hash               = filebase64sha256("${var.dist_dir}/lambda.update_consolidation/lambda.zip")
  handler                        = "lambda_function.handler"
  runtime                        = "python3.11"
  architectures                  = ["x86_64"]
  layers                         = [for layer in local.layers : aws_lambda_layer_version.this[layer].arn]
  memory_size                    = 512
  timeout                        = 300 # a message stops 10 s before, fails, and resumes
  role                           = aws_iam_role.consumer.arn
  kms_key_arn                    = aws_kms_key.platform.arn
  reserved_concurrent_executions = 20 # one per partition and then some; per-item writes need no lease
  publish                        = true

  environment {
    variables = {
      CHARGEBACKS_TABLE            = aws_dynamodb_table.chargebacks.name
      POWERTOOLS_SERVICE_NAME      = "update_consolidation"
      POWERTOOLS_METRICS_NAMESPACE = "DataPlatform"
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.consumer.name
  }

  depends_on = [aws_iam_role_policy.consumer]
}

resource "aws_lambda_alias" "consumer_live" {
  name             = "live"
  function_name    = aws_lambda_function.update_consolidation.function_name
  function_version = aws_lambda_function.update_consolidation.version
}

resource "aws_lambda_event_source_mapping" "consolidation" {
  event_source_arn        = var.msk_cluster_arn
  function_name           = aws_lambda_alias.consumer_live.arn
  topics                  = [var.consolidation_topic]
  starting_position       = "TRIM_HORIZON"
  batch_size              = 100 # what the handler is built for
  function_response_types = ["ReportBatchItemFailures"]
  maximum_retry_attempts  = 3

  amazon_managed_kafka_event_source_config {
    consumer_group_id = local.consumer_name
  }

  provisioned_poller_config {
    minimum_pollers = 1
    maximum_pollers = 10
  }

  source_access_configuration {
    type = "VPC_SECURITY_GROUP"
    uri  = "security_group:${var.msk_security_group_id}"
  }

  dynamic "source_access_configuration" {
    for_each = var.msk_subnet_ids
    content {
      type = "VPC_SUBNET"
      uri  = "subnet:${source_access_configuration.value}"
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_s3_bucket.failed_batches.arn
    }
  }
}

# --- alarms -------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "consumer_lag" {
  alarm_name          = "${local.consumer_name}-offset-lag"
  alarm_description   = "update_consolidation is falling behind its topic"
  namespace           = "AWS/Lambda"
  metric_name         = "OffsetLag"
  dimensions          = { FunctionName = aws_lambda_function.update_consolidation.function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.consumer_lag_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "failed_batches" {
  alarm_name          = "${local.consumer_name}-failed-batches"
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

resource "aws_cloudwatch_metric_alarm" "consumer_errors" {
  alarm_name          = "${local.consumer_name}-messages-failed"
  alarm_description   = "Consolidation messages failed (they are retried, then kept)"
  namespace           = "DataPlatform"
  metric_name         = "MessagesFailed"
  dimensions          = { service = "update_consolidation", job = "update_consolidation" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}
