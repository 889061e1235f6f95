variable "app" {
  description = "The app, as module.env.apps.<name> gives it (modules/environment/apps.yaml): name, namespace, host, further hosts by name, database engine (postgres, mariadb or null). Never written by hand: FQDNs derive from root_domain only."
  type = object({
    name      = string
    namespace = string
    host      = string
    hosts     = optional(map(string), {})
    database  = optional(string)
  })
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}[a-z0-9]$", var.app.name)) && can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.app.namespace))
    error_message = "app.name must be an app name (lower-case letters, digits and hyphens, at most 42) and app.namespace a DNS label."
  }
  validation {
    condition     = var.app.database == null || contains(["postgres", "mariadb"], coalesce(var.app.database, "-"))
    error_message = "app.database must be postgres, mariadb or null."
  }
  validation {
    condition     = alltrue([for h in concat([var.app.host], values(var.app.hosts)) : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", h))])
    error_message = "app.host and app.hosts must be lower-case DNS names such as registry.fullfrontend.be."
  }
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform (ingress class, Traefik's namespace and pod labels, TLS and its annotations, apps-tier label, Velero's namespace, storage class)."
  type = object({
    ingress = object({
      class_name     = string
      namespace      = string
      tls            = bool
      cluster_issuer = string
      annotations    = map(string)
      # Traefik's pod labels: the app's NetworkPolicy admits these pods of
      # the ingress namespace, not the whole namespace.
      pod_labels = map(string)
    })
    apps_tier_label  = object({ key = string, value = string })
    velero_namespace = string
    storage_class    = string
  })
  validation {
    condition     = length(var.platform.ingress.pod_labels) > 0
    error_message = "platform.ingress.pod_labels must name Traefik's pods: empty, every pod of the ingress namespace would reach the app."
  }
  validation {
    condition     = var.platform.ingress.tls == (var.platform.ingress.cluster_issuer != null)
    error_message = "platform.ingress: tls must be true exactly when a cluster_issuer is given (prod)."
  }
}

variable "pod_security" {
  description = "Pod Security Standard the namespace enforces: restricted when every image of the app runs as non-root without capabilities, baseline otherwise (warn and audit stay restricted, so what blocks restricted is reported)."
  type        = string
  default     = "restricted"
  validation {
    condition     = contains(["restricted", "baseline"], var.pod_security)
    error_message = "pod_security must be restricted or baseline."
  }
}

variable "volumes" {
  description = "PVCs the module creates in the app's namespace, keyed by claim name, each with its size (a whole number of Gi or Ti: DigitalOcean volumes are sized in GiB; it can grow later, never shrink). Our own claims, not a chart's volumeClaimTemplates, which are immutable."
  type = map(object({
    size        = string
    access_mode = optional(string, "ReadWriteOnce")
  }))
  default = {}
  validation {
    condition     = alltrue([for n, v in var.volumes : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", n)) && can(regex("^[1-9][0-9]*(Gi|Ti)$", v.size)) && contains(["ReadWriteOnce", "ReadWriteOncePod"], v.access_mode)])
    error_message = "volumes: keys are claim names (DNS labels), size a whole number of Gi or Ti such as 10Gi, access_mode ReadWriteOnce or ReadWriteOncePod (DigitalOcean block storage mounts on one node)."
  }
}

variable "routes" {
  description = "Paths the module publishes through its own Traefik Ingress: host (a key of app.hosts, or \"\" for app.host), path prefix, Service and port. Empty: no Ingress from this module (a chart renders its own with the ingress_* outputs)."
  type = list(object({
    host    = optional(string, "")
    path    = optional(string, "/")
    service = string
    port    = number
  }))
  default = []
  validation {
    condition     = alltrue([for r in var.routes : startswith(r.path, "/") && r.port > 0 && r.port < 65536 && can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", r.service))])
    error_message = "routes: path must start with /, port be 1-65535 and service a Service name."
  }
}

variable "network_policy" {
  description = "Who may reach the app's pods (selected by pod_selector) on ports: always Traefik's pods, the app's own namespace (its jobs) unless own_namespace is false, plus from_namespaces (for example metrics for Prometheus)."
  type = object({
    pod_selector    = map(string)
    ports           = list(number)
    from_namespaces = optional(list(string), [])
    # false when the ports trust their peer's address (Mailu's PROXY
    # protocol ports): then Traefik alone reaches them.
    own_namespace = optional(bool, true)
  })
  validation {
    condition     = length(var.network_policy.ports) > 0 && alltrue([for p in var.network_policy.ports : p > 0 && p < 65536])
    error_message = "network_policy.ports must list at least one port between 1 and 65535."
  }
}

variable "database" {
  description = "The app's database from the stack (engine, in-cluster host and port, database, user, password: see stacks/platform/data.tf), written as the Secret <app>-<engine> the app reads (keys host, port, database, username, password) when app.database is set; null for an app without a database."
  type = object({
    engine   = string
    host     = string
    port     = number
    database = string
    user     = string
    password = string
  })
  sensitive = true
  default   = null
}

variable "ingress_annotations" {
  description = "Annotations of the app's own Ingress on top of the platform's (for example a Traefik middleware)."
  type        = map(string)
  default     = {}
}
