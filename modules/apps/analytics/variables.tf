variable "app" {
  description = "Analytics in the app catalog: module.env.apps.analytics (name, namespace, host insights.<root_domain>). Its shape is checked by modules/app-common."
  type        = any
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform. Its shape is checked by modules/app-common."
  type        = any
}

variable "database" {
  description = "Umami's PostgreSQL database from the stack (engine, host, port, database, user, password): lookup(local.app_databases, \"analytics\", null). Written by app-common as the Secret analytics-postgres and, as DATABASE_URL, in the module's Secret analytics-umami."
  type        = any
  sensitive   = true
  validation {
    # Umami v3 supports PostgreSQL only. The message never repeats the value.
    condition     = try(var.database.engine == "postgres" && var.database.host != "" && var.database.user != "" && var.database.password != "" && var.database.database != "", false)
    error_message = "database must be the app's PostgreSQL database from the stack (engine postgres, host, port, database, user, password): database = lookup(local.app_databases, \"analytics\", null), with database: postgres for analytics in modules/environment/apps.yaml."
  }
}

variable "app_secret" {
  description = "Umami's APP_SECRET: signs login and share tokens and salts the visitor session ids. From the SOPS secrets (analytics_app_secret) or generated once by the stack (random_password kept in the state). Changing it logs every user out and starts new visitor sessions."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.app_secret) >= 32 && !can(regex("[\\x00-\\x1f]", var.app_secret))
    error_message = "app_secret must be at least 32 characters without control characters (openssl rand -base64 32), and stay the same across applies."
  }
}

variable "image" {
  description = "Umami image, pinned to an exact release (v3 tags are the bare version, such as 3.1.0, optionally with a digest). The start script applies the database migrations of that release."
  type        = string
  default     = "ghcr.io/umami-software/umami:3.1.0"
  validation {
    # Floating tags (latest, postgresql-latest, 3, 3.1) would change the
    # release, and migrate the database, behind our back.
    condition = (
      can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:v?[0-9]+\\.[0-9]+\\.[0-9]+([.-][A-Za-z0-9.-]+)?(@sha256:[a-f0-9]{64})?$", var.image)) &&
      !can(regex("(^|/)bitnami(legacy)?/", var.image))
    )
    error_message = "image must be pinned to an exact version, such as ghcr.io/umami-software/umami:3.1.0 (never latest, postgresql-latest or a major/minor tag), and never a Bitnami image."
  }
}

variable "resources" {
  description = "Requests and memory limit of the Umami container (no CPU limit: throttling helps nobody). Umami is one Next.js server; the start script also runs the Prisma migrations before it."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ memory = string })
  })
  default = {
    requests = { cpu = "50m", memory = "256Mi" }
    limits   = { memory = "512Mi" }
  }
  validation {
    condition = (
      can(regex("^[0-9]+(m|\\.[0-9]+)?$", var.resources.requests.cpu)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.requests.memory)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.limits.memory))
    )
    error_message = "resources: cpu like 50m or 0.5, memory like 256Mi or 1Gi."
  }
}

variable "read_only_root_filesystem" {
  description = "Run Umami on a read-only root filesystem, with emptyDirs on /tmp and Next.js's cache (/app/.next/cache). Set false only if a future release writes elsewhere (the pod then logs EROFS)."
  type        = bool
  default     = true
}
