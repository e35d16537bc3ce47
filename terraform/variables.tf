variable "region" {
  type    = string
  default = "eu-west-2"
}

variable "name_prefix" {
  type    = string
  default = "data-platform"
}

variable "warehouse_bucket" {
  description = "The bucket that holds the warehouse (created here: buckets.tf)."
  type        = string
}

variable "warehouse_prefix" {
  type    = string
  default = "warehouse"
}

variable "dist_dir" {
  description = "Where `./pants package lambda::` wrote the zips."
  type        = string
  default     = "../dist"
}

variable "alert_email" {
  description = "Who hears about failed runs (empty: no subscription)."
  type        = string
  default     = ""
}

variable "quarantine_days" {
  description = "How long rejected rows stay in quarantine/ before they expire."
  type        = number
  default     = 180
}

variable "msk_cluster_arn" {
  description = "The MSK cluster the consolidation events come from."
  type        = string
}

variable "consolidation_topic" {
  description = "The topic the consolidation Glue job publishes to."
  type        = string
  default     = "chargebacks-consolidation"
}

variable "msk_subnet_ids" {
  description = "Subnets from which Lambda's pollers reach the MSK brokers."
  type        = list(string)
}

variable "msk_security_group_id" {
  description = "A security group the MSK brokers accept (port 9098, IAM auth)."
  type        = string
}

variable "consumer_lag_threshold" {
  description = "Messages behind the topic's end that page someone."
  type        = number
  default     = 1000
}
