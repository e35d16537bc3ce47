# A Lambda consuming an MSK topic: the partial batch response (ReportBatchItemFailures),
# retries, whole failed batches kept in S3 for the redrive, IAM auth, VPC pollers, and
# an alarm on the consumer's lag. What the job itself may touch comes in policy_json.

locals {
  function_name = "${var.name_prefix}-${var.name}"
  cluster       = split("/", var.msk_cluster_arn)
  # arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> -> its topics and groups
  resource = "${replace(local.cluster[0], ":cluster", "")}:%s/${local.cluster[1]}/${local.cluster[2]}/%s"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "consume" {
  statement {
    sid       = "ConsumeWithIamAuth"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"]
    resources = [var.msk_cluster_arn]
  }
  statement {
    sid       = "ReadTheTopic"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = [format(local.resource, "topic", var.topic)]
  }
  statement {
    sid       = "CommitOffsets"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = [format(local.resource, "group", local.function_name)]
  }
  statement {
    sid       = "OnFailureDestination"
    actions   = ["s3:PutObject", "s3:ListBucket"]
    resources = [var.failure_bucket_arn, "${var.failure_bucket_arn}/*"]
  }
  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "consume" {
  name   = "consume"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.consume.json
}

resource "aws_iam_role_policy" "job" {
  name   = "job"
  role   = aws_iam_role.this.id
  policy = var.policy_json
}

# The pollers' network interfaces in the cluster's VPC, and cluster metadata.
resource "aws_iam_role_policy_attachment" "msk" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole"
}

resource "aws_iam_role_policy_attachment" "xray" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Its peers are public AWS endpoints; the event source mapping's pollers, not the function, sit in the cluster's VPC.
  #checkov:skip=CKV_AWS_272:The zip is built and hashed by Pants in CI; AWS Signer is not part of this pipeline.
  #checkov:skip=CKV_AWS_116:An event source mapping's failures go to its on-failure destination (the bucket), not a DLQ.
  function_name                  = local.function_name
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  handler                        = var.handler
  runtime                        = "python3.11"
  architectures                  = ["x86_64"]
  layers                         = var.layers
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  role                           = aws_iam_role.this.arn
  kms_key_arn                    = var.kms_key_arn
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = true

  environment {
    variables = merge({
      POWERTOOLS_SERVICE_NAME      = var.name
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    }, var.environment)
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_iam_role_policy.consume, aws_iam_role_policy.job]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn        = var.msk_cluster_arn
  function_name           = aws_lambda_alias.live.arn
  topics                  = [var.topic]
  starting_position       = "TRIM_HORIZON"
  batch_size              = var.batch_size
  function_response_types = ["ReportBatchItemFailures"]
  maximum_retry_attempts  = var.maximum_retry_attempts

  amazon_managed_kafka_event_source_config {
    consumer_group_id = local.function_name
  }

  provisioned_poller_config {
    minimum_pollers = 1
    maximum_pollers = 10
  }

  source_access_configuration {
    type = "VPC_SECURITY_GROUP"
    uri  = "security_group:${var.security_group_id}"
  }

  dynamic "source_access_configuration" {
    for_each = var.subnet_ids
    content {
      type = "VPC_SUBNET"
      uri  = "subnet:${source_access_configuration.value}"
    }
  }

  destination_config {
    on_failure {
      destination_arn = var.failure_bucket_arn
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "lag" {
  alarm_name          = "${local.function_name}-offset-lag"
  alarm_description   = "${var.name} is falling behind its topic"
  namespace           = "AWS/Lambda"
  metric_name         = "OffsetLag"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.lag_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "messages_failed" {
  alarm_name          = "${local.function_name}-messages-failed"
  alarm_description   = "${var.name}: messages failed (they are retried, then kept)"
  namespace           = var.metrics_namespace
  metric_name         = "MessagesFailed"
  dimensions          = { service = var.name, job = var.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}
