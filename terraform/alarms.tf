# What pages someone, besides each job's own alarms (modules/table_job_lambda): a
# failed pipeline execution, anything in the dead-letter queue, a stale table.

resource "aws_cloudwatch_metric_alarm" "execution_failed" {
  for_each            = aws_sfn_state_machine.pipeline
  alarm_name          = "${each.value.name}-execution-failed"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = each.value.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name_prefix}-dead-letters"
  alarm_description   = "An event no job could take (async invoke, trigger or schedule): redrive it (README, runbook)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

locals {
  # The jobs that finish a table analysts read, and the window in which a run of
  # theirs must finish: a window holding at least one run of their pipeline's
  # schedule (terraform/pipelines/*.json; a test checks).
  freshness_seconds = {
    build_fact_transactions = 86400 # daily at 06:00 UTC: one run per UTC day
    compute_trending_stocks = 86400
    process_totesys_packets = 3600 # every 30 minutes: two runs per hour
    checkpoint_event_log    = 7200 # hourly sweep, plus a run per new event log
  }
}

resource "aws_cloudwatch_metric_alarm" "stale" {
  for_each          = local.freshness_seconds
  alarm_name        = "${var.name_prefix}-${each.key}-stale"
  alarm_description = "${each.key} has not finished a run within its schedule: its table is stale."
  namespace         = "DataPlatform"
  # every finished run records its duration (common/observability.py)
  metric_name         = "DurationSeconds"
  dimensions          = { service = each.key, job = each.key }
  statistic           = "SampleCount"
  period              = each.value
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching" # no run at all is exactly what this is for
  alarm_actions       = [aws_sns_topic.alerts.arn]
}
