variable "name" {
  description = "The job's one name (lambda/<name>/, its metrics' service)."
  type        = string
}

variable "name_prefix" {
  type = string
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
  type = number
}

variable "timeout_s" {
  description = "A message stops SAFETY_MS before this, fails, and its retry resumes."
  type        = number
  default     = 300
}

variable "reserved_concurrency" {
  description = "One invocation per partition and then some: writes are per item, no lease."
  type        = number
  default     = 20
}

variable "environment" {
  description = "The function's environment (what its code reads)."
  type        = map(string)
}

variable "policy_json" {
  description = "What the job may touch besides its source, logs and destination."
  type        = string
}

variable "kms_key_arn" {
  type = string
}

variable "alarm_topic_arn" {
  type = string
}

variable "metrics_namespace" {
  type    = string
  default = "DataPlatform"
}

variable "msk_cluster_arn" {
  type = string
}

variable "topic" {
  type = string
}

variable "subnet_ids" {
  description = "Subnets from which Lambda's pollers reach the brokers."
  type        = list(string)
}

variable "security_group_id" {
  type = string
}

variable "batch_size" {
  type    = number
  default = 100
}

variable "maximum_retry_attempts" {
  type    = number
  default = 3
}

variable "failure_bucket_arn" {
  description = "The on-failure destination: an S3 bucket keeps whole invocation records."
  type        = string
}

variable "lag_threshold" {
  description = "Messages behind the topic's end that page someone."
  type        = number
}

variable "log_retention_days" {
  type    = number
  default = 365
}
