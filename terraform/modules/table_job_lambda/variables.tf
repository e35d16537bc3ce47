variable "name" {
  description = "Job name: lambda/<name>/ in the repo, <prefix>-<name> in AWS."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every AWS resource name."
  type        = string
}

variable "zip_path" {
  description = "The zip built by `./pants package lambda/<name>:lambda`."
  type        = string
}

variable "layers" {
  description = "Layer version ARNs, in order (the requirements; the zip holds the code)."
  type        = list(string)
}

variable "handler" {
  description = "The handler Pants reports for its zip layout."
  type        = string
  default     = "lambda_function.handler"
}

variable "memory_mb" {
  type    = number
  default = 3008
}

variable "timeout_s" {
  type    = number
  default = 900
}

variable "environment" {
  description = "Extra environment variables (WAREHOUSE_URI and STATE_TABLE are set here)."
  type        = map(string)
  default     = {}
}

variable "warehouse_bucket" {
  type = string
}

variable "warehouse_prefix" {
  description = "Key prefix of the warehouse inside its bucket (no trailing slash; may be empty)."
  type        = string
  default     = "warehouse"
}

variable "read_prefixes" {
  description = "Warehouse prefixes (relative to warehouse_prefix) the job reads."
  type        = list(string)
}

variable "write_prefixes" {
  description = "Warehouse prefixes the job writes and deletes under."
  type        = list(string)
}

variable "state_table_arn" {
  type = string
}

variable "state_table_name" {
  type = string
}

variable "kms_key_arn" {
  description = "CMK for environment variables, logs and the state table."
  type        = string
}

variable "dead_letter_arn" {
  description = "SQS queue for failed async invocations."
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic that gets the error and invalid-event alarms."
  type        = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}

variable "metrics_namespace" {
  type    = string
  default = "DataPlatform"
}

variable "ssm_parameter_prefix" {
  description = "If set, the job may write SSM parameters under /<prefix>/ (and is told so)."
  type        = string
  default     = ""
}
