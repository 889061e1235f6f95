variable "engine" {
  description = "SQL engine: postgres (first choice, seed) or mariadb (only for apps that cannot use PostgreSQL: WordPress). It names the server, its Services, Secrets and Jobs."
  type        = string
  validation {
    condition     = contains(["postgres", "mariadb"], var.engine)
    error_message = "engine must be postgres or mariadb."
  }
}

variable "namespace" {
  description = "Namespace of the database (created by modules/k8s-config)."
  type        = string
  default     = "data"
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "image" {
  description = "Official image of the engine, pinned to a patch release (the scripts' clients and dump tools come from it too); null takes the engine's pinned default (engines.tf: postgres 17.7, mariadb 11.4.8)."
  type        = string
  default     = null
  validation {
    # Which major line is right depends on the engine: checked by a
    # precondition on the StatefulSet.
    condition     = var.image == null || (can(regex("^[a-z0-9./-]*(postgres|mariadb):[0-9]+\\.[0-9]+(\\.[0-9]+)?(-[a-z]+)?$", var.image)) && !strcontains(var.image, "bitnami"))
    error_message = "image must be null or an official postgres or mariadb image pinned to a patch release (for example docker.io/library/postgres:17.7), never latest nor Bitnami."
  }
}

variable "rclone_image" {
  description = "Official rclone image, pinned; only its static binary is used, copied into the database image's container to reach S3."
  type        = string
  default     = "docker.io/rclone/rclone:1.73.5"
  validation {
    condition     = can(regex(":[0-9]+\\.[0-9]+\\.[0-9]+$", var.rclone_image))
    error_message = "rclone_image must be pinned to a release (for example docker.io/rclone/rclone:1.73.5), never latest."
  }
}

variable "storage_class" {
  description = "StorageClass of the data volume: do-block-storage in prod; null takes the cluster's default class (dev)."
  type        = string
  default     = null
}

variable "storage_size" {
  description = "Size of the data volume (a DO volume can grow later, never shrink)."
  type        = string
  default     = "10Gi"
  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a Kubernetes quantity such as 10Gi."
  }
}

variable "resources" {
  description = "Requests and memory limit of the server, sized for a small node; shared_buffers (postgres) follows memory_limit_mb / 4, the InnoDB buffer pool (mariadb) memory_limit_mb / 3. memory_request defaults to that buffer + 128 Mi (the server's own working set: connections, sorts, caches), so the scheduler never places it where its buffer does not fit."
  type = object({
    cpu_request     = optional(string, "100m")
    memory_request  = optional(string)
    memory_limit_mb = optional(number, 768)
  })
  default = {}
  validation {
    condition     = var.resources.memory_limit_mb >= 256
    error_message = "resources.memory_limit_mb must be at least 256."
  }
}

variable "superuser_password" {
  description = "Password of the engine's superuser: postgres, or MariaDB's root (SOPS secrets)."
  type        = string
  sensitive   = true
  validation {
    # The length rule lives in the stack's variable (generated passwords
    # are 32 characters); here only what would break the server or scripts.
    condition     = length(var.superuser_password) > 0 && !can(regex("[\\x00-\\x1f]", var.superuser_password))
    error_message = "superuser_password must be non-empty, without control characters (newline, tab, ...)."
  }
}

variable "app_credentials" {
  description = "Database, user and password of each app, keyed by app (from the stack: SOPS or generated). The init Job creates each database and user; the app's own module writes the matching Secret <app>-<engine> in its namespace (modules/app-common). The engine's reserved names are refused by a precondition."
  type = map(object({
    database = string
    user     = string
    password = string
  }))
  sensitive = true
  default   = {}
  validation {
    condition     = alltrue([for k in keys(var.app_credentials) : can(regex("^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$", k))])
    error_message = "app_credentials keys must be app names: lower-case letters, digits and hyphens, at most 42 characters."
  }
  validation {
    condition     = alltrue([for v in values(var.app_credentials) : can(regex("^[a-z][a-z0-9_]{0,62}$", v.database)) && can(regex("^[a-z][a-z0-9_]{0,62}$", v.user))])
    error_message = "app_credentials: database and user must be non-empty names that SQL never needs to quote: a lower-case letter, then lower-case letters, digits or underscores, at most 63 characters (no hyphen, dot, space, quote or upper case)."
  }
  validation {
    condition     = length(distinct([for v in values(var.app_credentials) : v.database])) == length(var.app_credentials) && length(distinct([for v in values(var.app_credentials) : v.user])) == length(var.app_credentials)
    error_message = "app_credentials: two apps share a database or a user; each app needs its own."
  }
  validation {
    condition     = alltrue([for v in values(var.app_credentials) : length(v.password) >= 12 && !can(regex("[\\x00-\\x1f]", v.password))])
    error_message = "app_credentials: every entry needs a password of at least 12 characters, without control characters (newline, tab, ...)."
  }
}

variable "apps_tier_label" {
  description = "Label of the app namespaces allowed to reach the database (modules/k8s-config)."
  type = object({
    key   = string
    value = string
  })
  default = { key = "fullfrontend.be/tier", value = "apps" }
}

variable "backup_s3" {
  description = "S3 target of the dumps: Spaces in prod, the in-cluster S3 server in dev."
  type = object({
    endpoint          = string
    bucket            = string
    region            = string
    access_key_id     = string
    secret_access_key = string
    force_path_style  = bool
  })
  sensitive = true
  validation {
    condition     = can(regex("^https?://[^/]+$", var.backup_s3.endpoint)) && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.backup_s3.bucket))
    error_message = "backup_s3.endpoint must be a URL without path (https://fra1.digitaloceanspaces.com) and backup_s3.bucket a bucket name."
  }
}

variable "backup_schedule" {
  description = "Cron expression (UTC) of the daily backup, before Velero's 03:00; null takes the engine's slot (postgres 02:15, mariadb 02:30)."
  type        = string
  default     = null
  validation {
    condition     = var.backup_schedule == null || length(split(" ", trimspace(coalesce(var.backup_schedule, "-")))) == 5
    error_message = "backup_schedule must be a five-field cron expression."
  }
}

variable "restore_check_schedule" {
  description = "Cron expression (UTC) of the restore check, after the backup; null takes the engine's slot (postgres 05:15, mariadb 05:30)."
  type        = string
  default     = null
  validation {
    condition     = var.restore_check_schedule == null || length(split(" ", trimspace(coalesce(var.restore_check_schedule, "-")))) == 5
    error_message = "restore_check_schedule must be a five-field cron expression."
  }
}

variable "backup_retention_days" {
  description = "Days of dumps the backup job keeps itself; 0 leaves it to the bucket's lifecycle rule (prod: 30 days on db/). Set it in dev, whose S3 server has no lifecycle rule."
  type        = number
  default     = 0
  validation {
    condition     = var.backup_retention_days >= 0 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number, 0 or more."
  }
}

variable "restore_check_expected_tables" {
  description = "Tables that must exist after the test restore, per database (for example { n8n = [\"workflow_entity\"] } or { wordpress = [\"wp_posts\"] }); schema-qualified names (schema.table) are for postgres only."
  type        = map(list(string))
  default     = {}
  validation {
    condition     = alltrue([for db, ts in var.restore_check_expected_tables : can(regex("^[a-z][a-z0-9_]{0,62}$", db)) && alltrue([for t in ts : can(regex("^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?$", t))])])
    error_message = "restore_check_expected_tables: keys are database names, values lists of (schema.)table names in lower case."
  }
}
