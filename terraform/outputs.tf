output "state_table" {
  value = aws_dynamodb_table.state.name
}

output "alerts_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "functions" {
  value = {
    ingest_house_ptr        = module.ingest_house_ptr.function_name
    build_dim_members       = module.build_dim_members.function_name
    build_dim_assets        = module.build_dim_assets.function_name
    build_dim_dates         = module.build_dim_dates.function_name
    build_fact_transactions = module.build_fact_transactions.function_name
    compute_trending_stocks = module.compute_trending_stocks.function_name
  }
}
