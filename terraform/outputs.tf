output "state_table" {
  value = aws_dynamodb_table.state.name
}

output "alerts_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "functions" {
  value = {
    build_fact_transactions = module.build_fact_transactions.function_name
  }
}
