output "function_name" {
  value = aws_lambda_function.this.function_name
}

output "function_arn" {
  value = aws_lambda_function.this.arn
}

output "alias_arn" {
  description = "The `live` alias: what schedules, triggers and state machines invoke."
  value       = aws_lambda_alias.live.arn
}

output "role_arn" {
  value = aws_iam_role.this.arn
}
