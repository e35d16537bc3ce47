locals {
  function_name = "${var.name_prefix}-${var.name}"
  root          = var.warehouse_prefix == "" ? "" : "${var.warehouse_prefix}/"
  bucket_arn    = "arn:aws:s3:::${var.warehouse_bucket}"
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

# Only what this job touches: its read and write prefixes, its state, its logs.
data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for p in concat(var.read_prefixes, var.write_prefixes) : "${local.root}${p}*"]
    }
  }
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = [for p in concat(var.read_prefixes, var.write_prefixes) : "${local.bucket_arn}/${local.root}${p}*"]
  }
  statement {
    sid       = "Write"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for p in var.write_prefixes : "${local.bucket_arn}/${local.root}${p}*"]
  }
  statement {
    sid       = "StateAndLease"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = [var.state_table_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  statement {
    sid       = "Kms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  dynamic "statement" {
    for_each = var.ssm_parameter_prefix == "" ? [] : [var.ssm_parameter_prefix]
    content {
      sid       = "PublishState"
      actions   = ["ssm:PutParameter"]
      resources = ["arn:aws:ssm:*:*:parameter/${statement.value}/*"]
    }
  }
  statement {
    sid       = "FailureDestination"
    actions   = ["sns:Publish"]
    resources = [var.alarm_topic_arn]
  }
  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [var.dead_letter_arn]
  }
}

resource "aws_iam_role_policy" "job" {
  name   = "job"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.job.json
}

resource "aws_iam_role_policy_attachment" "xray" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Talks only to S3 and DynamoDB public endpoints; no VPC resources to reach.
  #checkov:skip=CKV_AWS_272:The zip is built and hashed by Pants in CI; AWS Signer is not part of this pipeline.
  function_name                  = local.function_name
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  handler                        = var.handler
  layers                         = var.layers
  runtime                        = "python3.11"
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  role                           = aws_iam_role.this.arn
  kms_key_arn                    = var.kms_key_arn
  reserved_concurrent_executions = 1    # one writer per table; the state lease enforces it too
  publish                        = true # every deploy is a version: `live` can roll back

  environment {
    variables = merge({
      WAREHOUSE_URI                = "s3://${var.warehouse_bucket}/${var.warehouse_prefix}"
      STATE_TABLE                  = var.state_table_name
      POWERTOOLS_SERVICE_NAME      = var.name
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      SSM_PARAMETER_PREFIX         = var.ssm_parameter_prefix
    }, var.environment)
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = var.dead_letter_arn
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_iam_role_policy.job]
}

locals {
  # Lambda's own error count, the handlers' InvalidEvents metric (bad input), and
  # their PeakMemory past 80% of memory_mb: time to raise it before a run is killed
  # (README, "Memory and cost per job").
  alarms = {
    errors = {
      namespace  = "AWS/Lambda"
      metric     = "Errors"
      dimensions = { FunctionName = aws_lambda_function.this.function_name }
      statistic  = "Sum"
      threshold  = 0
    }
    invalid-events = {
      namespace  = var.metrics_namespace
      metric     = "InvalidEvents"
      dimensions = { service = var.name, job = var.name }
      statistic  = "Sum"
      threshold  = 0
    }
    memory = {
      namespace  = var.metrics_namespace
      metric     = "PeakMemory"
      dimensions = { service = var.name, job = var.name }
      statistic  = "Maximum"
      threshold  = floor(var.memory_mb * 0.8)
    }
  }
}

# What schedules, triggers and state machines call: rolling back is pointing `live`
# at the previous version (README, runbook).
resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}

# Asynchronous invocations: Lambda retries twice itself, then hands the event to the
# alerts topic once (the run fails loudly exactly once); the DLQ keeps it too.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = aws_lambda_alias.live.name # what triggers invoke
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = var.alarm_topic_arn
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${local.function_name}-${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}
