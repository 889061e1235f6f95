variable "namespace" {
  description = "Namespace of the server (created by modules/k8s-config)."
  type        = string
  default     = "data"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "image" {
  description = "Official Valkey image, pinned to an 8.x patch release."
  type        = string
  default     = "docker.io/valkey/valkey:8.1.4"
  validation {
    condition     = can(regex("^[a-z0-9./-]*valkey:8\\.[0-9]+\\.[0-9]+(-[a-z]+)?$", var.image)) && !strcontains(var.image, "bitnami")
    error_message = "image must be the official valkey image pinned to an 8.x.y release (for example docker.io/valkey/valkey:8.1.4)."
  }
}

variable "storage_class" {
  description = "StorageClass of the persistence volume: do-block-storage in prod; null takes the cluster's default class (dev)."
  type        = string
  default     = null
}

variable "storage_size" {
  description = "Size of the persistence volume (append-only file and snapshots)."
  type        = string
  default     = "2Gi"
  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a Kubernetes quantity such as 2Gi."
  }
}

variable "maxmemory_mb" {
  description = "Valkey maxmemory; the container's memory limit is this plus headroom for copy-on-write during snapshots. 128 MB holds well over a million small keys (about 85 MB per million, Redis's FAQ): far more than the file locks, caches and job queues of the platform's apps."
  type        = number
  default     = 128
  validation {
    condition     = var.maxmemory_mb >= 32
    error_message = "maxmemory_mb must be at least 32."
  }
}

variable "password" {
  description = "Password of the default user (SOPS secrets), shared by the apps that use Valkey."
  type        = string
  sensitive   = true
  validation {
    # The length rule lives in the stack's variable; here only what would
    # break the config file.
    condition     = length(var.password) > 0 && !can(regex("[\\x00-\\x1f\\x7f]", var.password))
    error_message = "the Valkey password must be non-empty, without control characters."
  }
}

variable "apps_tier_label" {
  description = "Label of the app namespaces allowed to reach the server (modules/k8s-config)."
  type = object({
    key   = string
    value = string
  })
  default = { key = "fullfrontend.be/tier", value = "apps" }
}
