variable "chart" {
  description = "Source of the Zot chart: module.charts.charts[\"zot\"] (repository, chart, version)."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "app" {
  description = "The registry in the app catalog: module.env.apps.registry (name, namespace, host registry.<root_domain>). Its shape is checked by modules/app-common."
  type        = any
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform. Its shape is checked by modules/app-common."
  type        = any
}

variable "storage_size" {
  description = "Size of the registry's PVC (DigitalOcean block storage in prod). It can be raised later (the volume is expanded in place), never lowered."
  type        = string
  default     = "20Gi"
  validation {
    condition     = can(regex("^[1-9][0-9]*(Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a whole number of Gi or Ti, for example 20Gi (DigitalOcean volumes are sized in GiB)."
  }
}

variable "htpasswd" {
  description = "Registry users as an htpasswd file with bcrypt hashes (htpasswd -nB <user>), from the SOPS secrets (registry_htpasswd). Null or empty: no account at all and anonymous read-only access, so nobody can push (the chart's sample users are never used)."
  type        = string
  sensitive   = true
  default     = null
  validation {
    # Zot checks htpasswd passwords with bcrypt only. The message never
    # repeats the value: it is a secret.
    condition = var.htpasswd == null ? true : alltrue([
      for line in split("\n", trimspace(var.htpasswd)) :
      can(regex("^[^:[:space:]]+:\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$", trimspace(line))) if trimspace(line) != ""
    ])
    error_message = "htpasswd must hold one user:bcrypt-hash line per user (create them with htpasswd -nB <user>); other hash types are refused by Zot."
  }
}

variable "anonymous_pull" {
  description = "With htpasswd set: also let anonymous clients pull (read only). Pushing and deleting always need an account. Without htpasswd the registry is anonymous read-only whatever this says."
  type        = bool
  default     = false
}

variable "resources" {
  description = "Requests and memory limit of the Zot container (no CPU limit: throttling a registry during a push helps nobody)."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ memory = string })
  })
  default = {
    requests = { cpu = "50m", memory = "128Mi" }
    limits   = { memory = "512Mi" }
  }
  validation {
    condition = (
      can(regex("^[0-9]+(m|\\.[0-9]+)?$", var.resources.requests.cpu)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.requests.memory)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.limits.memory))
    )
    error_message = "resources: cpu like 50m or 0.5, memory like 128Mi or 1Gi."
  }
}

