variable "prometheus_chart" {
  description = "Source of the kube-prometheus-stack chart: module.charts.charts[\"kube-prometheus-stack\"]."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "logs_chart" {
  description = "Source of the VictoriaLogs server chart: module.charts.charts[\"victoria-logs-single\"]."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "log_collector_chart" {
  description = "Source of the VictoriaLogs collector chart: module.charts.charts[\"victoria-logs-collector\"]."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "namespace" {
  description = "Namespace the module creates for kube-prometheus-stack (seed: metrics)."
  type        = string
  default     = "metrics"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label: lower-case letters, digits and hyphens, at most 63 characters."
  }
}

variable "logs_namespace" {
  description = "Existing namespace of the logging role (seed: infra, created by k8s-config): VictoriaLogs and its collector run there."
  type        = string
  default     = "infra"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.logs_namespace))
    error_message = "logs_namespace must be a namespace name."
  }
}

variable "velero_namespace" {
  description = "Namespace where Velero runs (module.k8s_config.velero_namespace): its metrics feed the backup alerts."
  type        = string
  default     = "infra"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.velero_namespace))
    error_message = "velero_namespace must be a namespace name."
  }
}

variable "cert_manager_namespace" {
  description = "Namespace where cert-manager runs (prod): its metrics feed the certificate alert."
  type        = string
  default     = "infra"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.cert_manager_namespace))
    error_message = "cert_manager_namespace must be a namespace name."
  }
}

variable "cert_manager_enabled" {
  description = "True where cert-manager runs (prod, module.env.features.cert_manager): scrape it. The certificate alert stays in place either way (without the metric it never fires)."
  type        = bool
  default     = true
}

variable "grafana_host" {
  description = "FQDN of Grafana: grafana.<root_domain>, derived from module.env.root_domain in the stack (no override)."
  type        = string
  validation {
    condition     = can(regex("^grafana\\.([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.grafana_host))
    error_message = "grafana_host must be grafana.<root_domain>, for example grafana.fullfrontend.be."
  }
}

variable "ingress" {
  description = "Grafana's ingress: module.k8s_config.ingress (IngressClass, whether TLS is on, the annotations for cert-manager and external-dns). Dev: no TLS, no annotations."
  type = object({
    class_name  = string
    tls         = bool
    annotations = map(string)
  })
  default = { class_name = "traefik", tls = false, annotations = {} }
}

variable "grafana_admin_password" {
  description = "Password of Grafana's admin account, from the SOPS secrets (grafana_admin_password). Empty: a random one is generated and kept in the state (output grafana_admin_password)."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.grafana_admin_password == "" || length(var.grafana_admin_password) >= 16
    error_message = "grafana_admin_password must be empty (generated) or at least 16 characters: Grafana is on the internet."
  }
}

variable "grafana_timezone" {
  description = "Timezone of the bundled dashboards (utc, browser or an IANA name)."
  type        = string
  default     = "Europe/Brussels"
  validation {
    condition     = contains(["utc", "browser"], var.grafana_timezone) || can(regex("^[A-Za-z_]+/[A-Za-z_]+(/[A-Za-z_]+)?$", var.grafana_timezone))
    error_message = "grafana_timezone must be utc, browser or an IANA zone such as Europe/Brussels."
  }
}

variable "victorialogs_plugin_version" {
  description = "Version of the VictoriaLogs data source plugin Grafana installs at start (victoriametrics-logs-datasource, from grafana.com)."
  type        = string
  # renovate: datasource=github-releases depName=VictoriaMetrics/victorialogs-datasource extractVersion=^v(?<version>.+)$
  default = "0.30.1"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.victorialogs_plugin_version))
    error_message = "victorialogs_plugin_version must be an exact version such as 0.30.1."
  }
}

variable "storage_class_name" {
  description = "StorageClass of the Prometheus, Alertmanager and VictoriaLogs volumes; null takes the cluster default (do-block-storage on DOKS)."
  type        = string
  default     = null
  validation {
    condition     = var.storage_class_name == null || can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", var.storage_class_name))
    error_message = "storage_class_name must be null or a StorageClass name."
  }
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples; the size bound (80 % of the volume) applies as well, whichever comes first."
  type        = string
  default     = "15d"
  validation {
    condition     = can(regex("^[1-9][0-9]*(h|d|w)$", var.prometheus_retention))
    error_message = "prometheus_retention must be a duration in hours, days or weeks, for example 15d."
  }
}

variable "prometheus_volume_gi" {
  description = "Size in GiB of Prometheus's PVC. Retention by size is set to 80 % of it so the TSDB never fills the volume."
  type        = number
  default     = 10
  validation {
    condition     = var.prometheus_volume_gi >= 2 && var.prometheus_volume_gi <= 500 && floor(var.prometheus_volume_gi) == var.prometheus_volume_gi
    error_message = "prometheus_volume_gi must be a whole number of GiB between 2 and 500."
  }
}

variable "alertmanager_volume_gi" {
  description = "Size in GiB of Alertmanager's PVC (silences and notification log: tiny; 1 GiB is DigitalOcean's smallest volume)."
  type        = number
  default     = 1
  validation {
    condition     = var.alertmanager_volume_gi >= 1 && var.alertmanager_volume_gi <= 20 && floor(var.alertmanager_volume_gi) == var.alertmanager_volume_gi
    error_message = "alertmanager_volume_gi must be a whole number of GiB between 1 and 20."
  }
}

variable "logs_retention" {
  description = "How long VictoriaLogs keeps logs (minimum 24h); the size bound (80 % of the volume) applies as well."
  type        = string
  default     = "14d"
  validation {
    condition     = can(regex("^[1-9][0-9]*(h|d|w|y)$", var.logs_retention)) && (!endswith(var.logs_retention, "h") || try(tonumber(trimsuffix(var.logs_retention, "h")) >= 24, false))
    error_message = "logs_retention must be at least 24h, written in h, d, w or y (for example 14d)."
  }
}

variable "logs_volume_gi" {
  description = "Size in GiB of VictoriaLogs's PVC."
  type        = number
  default     = 10
  validation {
    condition     = var.logs_volume_gi >= 2 && var.logs_volume_gi <= 500 && floor(var.logs_volume_gi) == var.logs_volume_gi
    error_message = "logs_volume_gi must be a whole number of GiB between 2 and 500."
  }
}

variable "backup_max_age_hours" {
  description = "Alert when a Velero schedule's last successful backup is older than this (daily schedule + margin)."
  type        = number
  default     = 26
  validation {
    condition     = var.backup_max_age_hours >= 2 && var.backup_max_age_hours <= 24 * 8
    error_message = "backup_max_age_hours must be between 2 and 192."
  }
}

variable "certificate_min_days" {
  description = "Alert when a cert-manager certificate expires in fewer days than this (cert-manager renews 30 days ahead, so an alert means renewal is failing)."
  type        = number
  default     = 14
  validation {
    condition     = var.certificate_min_days >= 1 && var.certificate_min_days <= 60
    error_message = "certificate_min_days must be between 1 and 60."
  }
}

variable "pvc_usage_ratio" {
  description = "Alert when a PVC is fuller than this fraction."
  type        = number
  default     = 0.8
  validation {
    condition     = var.pvc_usage_ratio > 0 && var.pvc_usage_ratio < 1
    error_message = "pvc_usage_ratio must be a fraction between 0 and 1, for example 0.8."
  }
}

variable "alert_email" {
  description = "Where alerts go: the operators' addresses (a list, usually one shared mailbox). Empty: alerts stay in Alertmanager, seen by nobody (the stack refuses it in prod)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.alert_email : can(regex("^[^@\\s]+@[a-z0-9]([a-z0-9.-]*[a-z0-9])?\\.[a-z]{2,}$", a))])
    error_message = "alert_email must hold plain addresses such as ops@fullfrontend.be (lower-case domain, no display name)."
  }
}

variable "smtp" {
  description = "How Alertmanager sends mail: the platform's outbound relay (host:port with STARTTLS, as Mailu uses it), its login, and the sender address. Null: no mail can leave, so alert_email must be empty."
  type = object({
    smarthost = string
    username  = string
    password  = string
    from      = string
  })
  default   = null
  sensitive = true
}

variable "heartbeat_url" {
  description = "Dead man's switch: an external check URL (Healthchecks.io, Cronitor, Better Stack…) that Alertmanager calls every few minutes with the always-firing Watchdog alert; the service mails you when the calls stop. Empty: off."
  type        = string
  default     = ""
  sensitive   = true
  validation {
    condition     = var.heartbeat_url == "" || can(regex("^https://[^\\s]+$", var.heartbeat_url))
    error_message = "heartbeat_url must be an https:// URL (the check's ping address given by the heartbeat service)."
  }
}

variable "digest_utc_hour" {
  description = "Hour (UTC, 0-23) of the daily mail that lists the warnings. UTC because Alertmanager's image has no time zone data: 7 is 8:00 in Brussels in winter, 9:00 in summer."
  type        = number
  default     = 7
  validation {
    condition     = var.digest_utc_hour >= 0 && var.digest_utc_hour <= 23 && floor(var.digest_utc_hour) == var.digest_utc_hour
    error_message = "digest_utc_hour must be a whole hour between 0 and 23."
  }
}

variable "require_alert_email" {
  description = "Refuse a plan without alert_email (prod)."
  type        = bool
  default     = false
}
