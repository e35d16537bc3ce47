# Lambda-only production: the pipelines of common/pipelines.py as Step Functions
# state machines (terraform/pipelines/*.asl.json, generated), started on the
# deployments' schedules (terraform/pipelines/<pipeline>.<run>.json, generated: the
# same crons as prefect.yaml), and the triggers that start jobs when files land.

locals {
  pipelines = toset([for f in fileset("${path.module}/pipelines", "*.asl.json") : trimsuffix(f, ".asl.json")])
  # "<pipeline>.<run>.json" -> the run's cron, schedule expression and input
  runs = {
    for f in fileset("${path.module}/pipelines", "*.*.json") :
    trimsuffix(f, ".json") => merge(jsondecode(file("${path.module}/pipelines/${f}")), {
      pipeline = split(".", f)[0]
    }) if !endswith(f, ".asl.json")
  }
  # the `live` alias of every job: what the state machines and triggers invoke
  aliases = { for job, m in module.job : job => m.alias_arn }
}

# --- state machines -----------------------------------------------------------

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "states" {
  name               = "${var.name_prefix}-pipelines"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
}

data "aws_iam_policy_document" "states" {
  statement {
    sid       = "InvokeJobs"
    actions   = ["lambda:InvokeFunction"]
    resources = values(local.aliases)
  }
  statement {
    sid       = "Alert"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }
  statement {
    sid       = "AlertTopicKey"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]
  }
  statement {
    #checkov:skip=CKV_AWS_111:CloudWatch Logs log delivery for Step Functions takes no resource-level permissions.
    #checkov:skip=CKV_AWS_356:Same: the log-delivery actions only accept "*".
    sid = "ExecutionLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
  statement {
    #checkov:skip=CKV_AWS_111:X-Ray trace segments take no resource-level permissions.
    #checkov:skip=CKV_AWS_356:Same: the X-Ray actions only accept "*".
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "states" {
  role   = aws_iam_role.states.id
  policy = data.aws_iam_policy_document.states.json
}

resource "aws_cloudwatch_log_group" "pipelines" {
  for_each          = local.pipelines
  name              = "/aws/vendedlogs/states/${var.name_prefix}-${each.key}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.platform.arn
}

resource "aws_sfn_state_machine" "pipeline" {
  for_each = local.pipelines
  name     = "${var.name_prefix}-${each.key}"
  role_arn = aws_iam_role.states.arn
  definition = templatefile("${path.module}/pipelines/${each.key}.asl.json", {
    functions        = local.aliases
    alerts_topic_arn = aws_sns_topic.alerts.arn
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.pipelines[each.key].arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }
}

# --- schedules (EventBridge Scheduler): prefect.yaml's deployments ------------

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com", "events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "start_pipelines" {
  name               = "${var.name_prefix}-start-pipelines"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "start_pipelines" {
  statement {
    actions   = ["states:StartExecution"]
    resources = [for m in aws_sfn_state_machine.pipeline : m.arn]
  }
}

resource "aws_iam_role_policy" "start_pipelines" {
  role   = aws_iam_role.start_pipelines.id
  policy = data.aws_iam_policy_document.start_pipelines.json
}

resource "aws_scheduler_schedule" "run" {
  for_each                     = local.runs
  name                         = "${var.name_prefix}-${replace(each.key, ".", "-")}"
  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = aws_kms_key.platform.arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.pipeline[each.value.pipeline].arn
    role_arn = aws_iam_role.start_pipelines.arn
    input    = jsonencode(each.value.input)

    retry_policy {
      maximum_retry_attempts = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.dead_letter.arn
    }
  }
}

# --- triggers: a file landing starts its job -----------------------------------

locals {
  # S3 "Object Created" under a prefix of the warehouse -> the job that takes it.
  # Ingest gets the notification itself (its handler reads it); Totesys processing
  # gets {} and takes every packet not processed yet (docs/decisions.md).
  triggers = {
    ingest_house_ptr        = { prefix = "bronze/house/", input = null }
    ingest_senate_ptr       = { prefix = "bronze/senate/", input = null }
    process_totesys_packets = { prefix = "ingestion/", input = "{}" }
    checkpoint_event_log    = { prefix = "bronze/event_logs/", input = null }
  }
}

resource "aws_cloudwatch_event_rule" "object_created" {
  for_each    = local.triggers
  name        = "${var.name_prefix}-${each.key}-on-new-file"
  description = "Start ${each.key} when a file lands under ${each.value.prefix}"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [aws_s3_bucket.warehouse.bucket] }
      object = { key = [{ prefix = "${var.warehouse_prefix}/${each.value.prefix}" }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "object_created" {
  for_each = local.triggers
  rule     = aws_cloudwatch_event_rule.object_created[each.key].name
  arn      = local.aliases[each.key]
  input    = each.value.input

  dead_letter_config {
    arn = aws_sqs_queue.dead_letter.arn
  }
}

resource "aws_lambda_permission" "object_created" {
  for_each      = local.triggers
  statement_id  = "object-created"
  action        = "lambda:InvokeFunction"
  function_name = module.job[each.key].function_name
  qualifier     = "live"
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.object_created[each.key].arn
}
