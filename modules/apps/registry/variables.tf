variable "chart" {
  description = "Source of the Zot chart: module.charts.charts[\"zot\"] (repository, chart, version)."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "host" {
  description = "FQDN of the registry: module.env.fqdns.registry (registry.<root_domain>); never set by hand."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.host))
    error_message = "host must be a lower-case DNS name such as registry.fullfrontend.be."
  }
}

variable "namespace" {
  description = "Namespace the module creates for the registry (one namespace per app)."
  type        = string
  default     = "registry"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label: lower-case letters, digits and hyphens, at most 63 characters."
  }
}

variable "apps_tier_label" {
  description = "Label of apps-tier namespaces (module.k8s_config.apps_tier_label); the data tier's network policies admit only namespaces that carry it."
  type = object({
    key   = string
    value = string
  })
  default = { key = "fullfrontend.be/tier", value = "apps" }
  validation {
    condition     = can(regex("^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$", var.apps_tier_label.key)) && can(regex("^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$", var.apps_tier_label.value))
    error_message = "apps_tier_label must be a valid Kubernetes label key and value."
  }
}

variable "ingress_class_name" {
  description = "IngressClass of the ingress (module.k8s_config.ingress_class_name: traefik). The chart defaults to nginx, which this cluster does not run."
  type        = string
  default     = "traefik"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$", var.ingress_class_name))
    error_message = "ingress_class_name must be a lower-case DNS name such as traefik."
  }
}

variable "cluster_issuer" {
  description = "cert-manager ClusterIssuer for the ingress certificate (module.k8s_config.cluster_issuer). Null (dev) means no TLS and no cert-manager annotation."
  type        = string
  default     = null
  validation {
    condition     = var.cluster_issuer == null || can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", var.cluster_issuer))
    error_message = "cluster_issuer must be null or the name of a ClusterIssuer such as letsencrypt-prod."
  }
}

variable "dns_ttl" {
  description = "TTL (seconds) external-dns gives the registry's record (module.k8s_config.dns_ttl, prod); null leaves external-dns's default and adds no annotation (dev has no external-dns)."
  type        = number
  default     = null
  validation {
    condition     = var.dns_ttl == null || (var.dns_ttl >= 30 && var.dns_ttl <= 86400)
    error_message = "dns_ttl must be null or between 30 and 86400 seconds."
  }
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

variable "storage_class_name" {
  description = "StorageClass of the PVC; null takes the cluster default (do-block-storage on DOKS, the local provisioner in dev)."
  type        = string
  default     = null
  validation {
    condition     = var.storage_class_name == null || can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", var.storage_class_name))
    error_message = "storage_class_name must be null or a StorageClass name."
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

variable "ingress_from_namespace" {
  description = "Namespace of the ingress controller (Traefik, in infra): the registry's NetworkPolicy admits traffic from it only (and from the registry's own namespace)."
  type        = string
  default     = "infra"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.ingress_from_namespace))
    error_message = "ingress_from_namespace must be a namespace name."
  }
}

variable "velero_namespace" {
  description = "Namespace of Velero (module.k8s_config.velero_namespace), where the registry's backup Schedule goes."
  type        = string
  default     = "infra"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.velero_namespace))
    error_message = "velero_namespace must be a namespace name."
  }
}
