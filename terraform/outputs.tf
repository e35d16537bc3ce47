output "state_table" {
  value = aws_dynamodb_table.state.name
}

output "alerts_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "functions" {
  value = { for job, m in module.job : job => m.function_name }
}
