variable "chart" {
  description = "Source of the official n8n chart: module.charts.charts[\"n8n\"] (repository, chart, version)."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "app" {
  description = "n8n in the app catalog: module.env.apps.n8n (name, namespace, host n8n.<root_domain>, hosts.webhook webhook.<root_domain>, database postgres). Its shape is checked by modules/app-common."
  type        = any
  validation {
    # The webhook host is where WEBHOOK_URL points; without it every
    # webhook URL n8n shows would be wrong.
    condition     = can(var.app.hosts["webhook"])
    error_message = "app.hosts must have a webhook entry (modules/environment/apps.yaml: n8n: hosts: { webhook: webhook })."
  }
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform. Its shape is checked by modules/app-common."
  type        = any
}

variable "database" {
  description = "n8n's PostgreSQL database from the stack (engine, host, port, database, user, password): lookup(local.app_databases, \"n8n\", null). modules/app-common writes it as the Secret n8n-postgres."
  type        = any
  sensitive   = true
  validation {
    # n8n also runs on SQLite, but the platform keeps every app's data in
    # the shared PostgreSQL (seed: "Postgres prioritaire").
    condition     = var.database != null && try(var.database.engine, "") == "postgres"
    error_message = "database must be n8n's PostgreSQL database (engine postgres): pass lookup(local.app_databases, \"n8n\", null) and keep database: postgres for n8n in apps.yaml."
  }
}

variable "encryption_key" {
  description = "N8N_ENCRYPTION_KEY: encrypts every credential n8n stores in its database. From the SOPS secrets (n8n_encryption_key) or generated once by the stack and kept in its state. It must never change: a new key makes every stored credential unreadable."
  type        = string
  sensitive   = true
  nullable    = false
  validation {
    # The message never repeats the value: it is a secret.
    condition     = length(var.encryption_key) >= 32 && !can(regex("[[:space:][:cntrl:]]", var.encryption_key))
    error_message = "encryption_key must be at least 32 characters without spaces or control characters (for example openssl rand -hex 32)."
  }
}

variable "image_tag" {
  description = "Tag of docker.n8n.io/n8nio/n8n, an exact 2.x release: the chart's own default (stable) moves, and n8n 3 changes the data layout (binaryData renamed to storage) that chart 1.11.0 was written for."
  type        = string
  # renovate: datasource=docker depName=docker.n8n.io/n8nio/n8n
  default = "2.42.6"
  validation {
    condition     = can(regex("^2\\.[0-9]+\\.[0-9]+$", var.image_tag))
    error_message = "image_tag must be an exact n8n 2.x release such as 2.42.6 (never stable, latest or a 3.x tag with chart 1.11.0)."
  }
}

variable "storage_size" {
  description = "Size of the PVC mounted as n8n's home (/home/node/.n8n): binary data of executions (filesystem mode) and n8n's settings file. It can be raised later, never lowered."
  type        = string
  default     = "5Gi"
  validation {
    condition     = can(regex("^[1-9][0-9]*(Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a whole number of Gi or Ti, for example 5Gi (DigitalOcean volumes are sized in GiB)."
  }
}

variable "resources" {
  description = "Requests and memory limit of the n8n container (no CPU limit: throttling slows executions and protects nothing)."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ memory = string })
  })
  default = {
    # n8n's own chart (8gears/n8n 1.11.0, resources.main).
    requests = { cpu = "100m", memory = "512Mi" }
    limits   = { memory = "1Gi" }
  }
  validation {
    condition = (
      can(regex("^[0-9]+(m|\\.[0-9]+)?$", var.resources.requests.cpu)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.requests.memory)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.limits.memory))
    )
    error_message = "resources: cpu like 100m or 0.5, memory like 384Mi or 1Gi."
  }
}

variable "execution_retention_hours" {
  description = "Age (hours) after which finished executions are pruned from the database (EXECUTIONS_DATA_MAX_AGE); their binary data on the PVC goes with them. 336 = 14 days, n8n's default."
  type        = number
  default     = 336
  validation {
    condition     = var.execution_retention_hours == floor(var.execution_retention_hours) && var.execution_retention_hours >= 1 && var.execution_retention_hours <= 8760
    error_message = "execution_retention_hours must be a whole number of hours between 1 and 8760 (one year)."
  }
}

variable "execution_max_count" {
  description = "Most finished executions kept in the database (EXECUTIONS_DATA_PRUNE_MAX_COUNT), whatever their age; 0 means no count limit."
  type        = number
  default     = 10000
  validation {
    condition     = var.execution_max_count == floor(var.execution_max_count) && var.execution_max_count >= 0
    error_message = "execution_max_count must be a whole number, 0 or more."
  }
}

variable "timezone" {
  description = "Timezone of the process (TZ) and of schedule triggers (GENERIC_TIMEZONE; n8n's own default is America/New_York)."
  type        = string
  default     = "Europe/Brussels"
  validation {
    condition     = var.timezone == "UTC" || can(regex("^[A-Za-z_]+/[A-Za-z_+-]+(/[A-Za-z_+-]+)?$", var.timezone))
    error_message = "timezone must be UTC or an IANA zone such as Europe/Brussels."
  }
}
