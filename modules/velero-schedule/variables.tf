variable "name" {
  description = "Name of the Schedule (for example wordpress-daily)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be a DNS label: lower-case letters, digits and hyphens, at most 63 characters."
  }
}

variable "velero_namespace" {
  description = "Namespace where Velero runs and reads its Schedules (seed: infra)."
  type        = string
  default     = "infra"
}

variable "included_namespaces" {
  description = "Namespaces the backup captures, with their PVCs."
  type        = list(string)
  validation {
    condition     = length(var.included_namespaces) > 0 && alltrue([for n in var.included_namespaces : n == "*" || can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", n))])
    error_message = "included_namespaces must list at least one valid namespace name."
  }
}

variable "schedule" {
  description = "Cron expression, UTC (seed: every day at 03:00)."
  type        = string
  default     = "0 3 * * *"
  validation {
    condition     = length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a five-field cron expression such as \"0 3 * * *\"."
  }
}

variable "ttl" {
  description = "How long each backup is kept (seed: 30 days)."
  type        = string
  default     = "720h0m0s"
  validation {
    condition     = can(regex("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$", var.ttl)) && var.ttl != ""
    error_message = "ttl must be a Go duration such as 720h0m0s."
  }
}
