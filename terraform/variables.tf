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
