variable "memory_limit" {
  description = "Memory limit of the container that runs Apache and PHP, as a Kubernetes quantity in Mi or Gi (for example 1Gi)."
  type        = string
  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory_limit))
    error_message = "memory_limit must be a whole number of Mi or Gi, for example 768Mi or 1Gi."
  }
}

variable "php_memory_limit_mib" {
  description = "PHP's memory_limit in MiB: the most one request may take (128 is PHP's own default; the Nextcloud image sets 512)."
  type        = number
  validation {
    condition     = var.php_memory_limit_mib >= 32 && floor(var.php_memory_limit_mib) == var.php_memory_limit_mib
    error_message = "php_memory_limit_mib must be a whole number of MiB, at least 32."
  }
}

variable "min_workers" {
  description = "Fewest Apache workers the container must hold: a smaller memory limit is refused."
  type        = number
  default     = 2
}

variable "name" {
  description = "Name of the ConfigMap that holds mpm_prefork.conf (for example wordpress-apache)."
  type        = string
}

variable "namespace" {
  description = "Namespace of the ConfigMap: the application's."
  type        = string
}

variable "labels" {
  description = "Labels of the ConfigMap (the application's common labels)."
  type        = map(string)
  default     = {}
}
