variable "chart" {
  description = "Source of the official Nextcloud chart: module.charts.charts[\"nextcloud\"] (repository, chart, version)."
  type = object({
    repository = string
    chart      = string
    version    = string
  })
}

variable "app" {
  description = "Nextcloud in the app catalog: module.env.apps.nextcloud (name, namespace, host cloud.<root_domain>, database postgres). Its shape is checked by modules/app-common."
  type        = any
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform. Its shape is checked by modules/app-common."
  type        = any
}

variable "database" {
  description = "Nextcloud's PostgreSQL database from the stack (engine, host, port, database, user, password): lookup(local.app_databases, \"nextcloud\", null). modules/app-common writes it as the Secret nextcloud-postgres."
  type        = any
  sensitive   = true
  validation {
    # Nextcloud also runs on SQLite or MariaDB, but the platform keeps every
    # app's data in the shared PostgreSQL (seed: "Postgres prioritaire").
    condition     = var.database != null && try(var.database.engine, "") == "postgres"
    error_message = "database must be Nextcloud's PostgreSQL database (engine postgres): pass lookup(local.app_databases, \"nextcloud\", null) and keep database: postgres for nextcloud in apps.yaml."
  }
}

variable "redis" {
  description = "The shared Valkey (Redis protocol) in data: host valkey.data.svc.cluster.local, port 6379, the default user's password, and the database index Nextcloud owns (db, 2 by default) for its distributed cache and file locks."
  type = object({
    host     = string
    port     = number
    password = string
    db       = optional(number, 2)
  })
  sensitive = true
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.redis.host)) && var.redis.port > 0 && var.redis.port < 65536
    error_message = "redis: host must be a DNS name such as valkey.data.svc.cluster.local and port between 1 and 65535."
  }
  validation {
    condition     = length(var.redis.password) > 0 && !can(regex("[\\x00-\\x1f\\x7f]", var.redis.password))
    error_message = "redis: the password must be non-empty, without control characters."
  }
  validation {
    # 0 is where other clients land by default; the CRM (Twenty) owns 1 and
    # empties it at every start, which would drop Nextcloud's file locks.
    condition     = floor(var.redis.db) == var.redis.db && var.redis.db >= 2 && var.redis.db <= 15
    error_message = "redis.db must be a whole number from 2 to 15: 0 is every other client's default and 1 is the CRM's, which Twenty empties at every start."
  }
}

variable "admin_user" {
  description = "Login of the administrator account the first start creates."
  type        = string
  default     = "admin"
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$", var.admin_user))
    error_message = "admin_user must be 1-64 letters, digits and _ . @ -, starting with a letter or digit."
  }
}

variable "admin_password" {
  description = "Password of the administrator account, from the stack: SOPS nextcloud_admin_password, generated once and kept in the state when empty. Read only at the first start (installation): later, change it in Nextcloud (or occ user:resetpassword)."
  type        = string
  sensitive   = true
  nullable    = false
  validation {
    # The message never repeats the value: it is a secret.
    condition     = length(var.admin_password) >= 16 && !can(regex("[[:cntrl:]]", var.admin_password))
    error_message = "admin_password must be at least 16 characters without control characters (openssl rand -base64 24)."
  }
}

variable "image_tag" {
  description = "Tag of the official image docker.io/library/nextcloud: the chart's appVersion with its default apache flavor (34.0.1-apache for chart 9.2.4). Apache variant only: the module serves PHP from Apache in the same container (no nginx sidecar). Nextcloud upgrades one major version at a time."
  type        = string
  # renovate: datasource=docker depName=docker.io/library/nextcloud
  default = "34.0.1-apache"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+-apache$", var.image_tag))
    error_message = "image_tag must be an exact apache release of the official image, such as 34.0.1-apache (never latest, stable or an fpm tag)."
  }
}

variable "storage_size" {
  description = "Size of the PVC nextcloud-data holding /var/www/html (code copied by the image, config, apps) and the users' files (data). It can be raised later, never lowered."
  type        = string
  default     = "10Gi"
  validation {
    condition     = can(regex("^[1-9][0-9]*(Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a whole number of Gi or Ti, for example 10Gi (DigitalOcean volumes are sized in GiB)."
  }
}

variable "resources" {
  description = "Requests and memory limit of the Nextcloud container (Apache + PHP) and of the cron job container (no CPU limit, as everywhere in the platform). PHP's memory_limit is 512M per request in the image: the Nextcloud limit sets how many Apache workers run (limit / 544 MiB, at least 2)."
  type = object({
    nextcloud = object({
      requests = object({ cpu = string, memory = string })
      limits   = object({ memory = string })
    })
    cron = object({
      requests = object({ cpu = string, memory = string })
      limits   = object({ memory = string })
    })
  })
  default = {
    # Nextcloud recommends 512 MB per PHP process; the limit holds 4
    # Apache workers at the image's 512M memory_limit (modules/apache-prefork).
    nextcloud = {
      requests = { cpu = "100m", memory = "512Mi" }
      limits   = { memory = "2560Mi" }
    }
    cron = {
      requests = { cpu = "50m", memory = "128Mi" }
      limits   = { memory = "768Mi" }
    }
  }
  validation {
    condition = alltrue([for r in values(var.resources) :
      can(regex("^[0-9]+(m|\\.[0-9]+)?$", r.requests.cpu)) &&
      can(regex("^[0-9]+(Mi|Gi)$", r.requests.memory)) &&
      can(regex("^[0-9]+(Mi|Gi)$", r.limits.memory))
    ])
    error_message = "resources: cpu like 100m or 0.5, memory like 384Mi or 1Gi."
  }
}

variable "cron_schedule" {
  description = "When the CronJob runs Nextcloud's background jobs (cron.php); Nextcloud's documentation asks for every 5 minutes."
  type        = string
  default     = "*/5 * * * *"
  validation {
    condition     = length(split(" ", trimspace(var.cron_schedule))) == 5
    error_message = "cron_schedule must be a five-field cron expression such as \"*/5 * * * *\"."
  }
}

variable "trusted_proxies" {
  description = "Nextcloud's trusted_proxies: the ranges Traefik's pods come from. The default is the private ranges, the same ones the image's Apache already trusts for X-Real-IP (RemoteIPInternalProxy)."
  type        = list(string)
  default     = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
  validation {
    condition     = length(var.trusted_proxies) > 0 && alltrue([for c in var.trusted_proxies : can(cidrnetmask(c))])
    error_message = "trusted_proxies must list IPv4 ranges in CIDR notation, such as 10.0.0.0/8."
  }
}

variable "default_phone_region" {
  description = "Nextcloud's default_phone_region (ISO 3166-1 country code): how phone numbers without a country prefix are read in profiles and contacts."
  type        = string
  default     = "BE"
  validation {
    condition     = can(regex("^[A-Z]{2}$", var.default_phone_region))
    error_message = "default_phone_region must be an upper-case ISO 3166-1 alpha-2 code such as BE or FR."
  }
}

variable "external_storage" {
  description = "Optional Spaces bucket mounted in every user's files as external storage (files_external app, Amazon S3 backend): off by default. On, it needs the Spaces keys (spaces_access_key_id, spaces_secret_access_key), or the plan fails. Give it a bucket of its own: the mount shows the whole bucket, and the media bucket holds WordPress's and the CRM's files."
  type = object({
    enabled     = optional(bool, false)
    bucket      = optional(string, "")
    region      = optional(string, "fra1")
    mount_point = optional(string, "/Spaces")
  })
  default = {}
  validation {
    condition     = !var.external_storage.enabled || (can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.external_storage.bucket)) && can(regex("^[a-z]{3}[0-9]$", var.external_storage.region)))
    error_message = "external_storage: with enabled = true, bucket must be a Spaces bucket name (for example fullfrontend-nextcloud) and region a Spaces region such as fra1."
  }
  validation {
    condition     = can(regex("^/[A-Za-z0-9_-]{1,64}$", var.external_storage.mount_point))
    error_message = "external_storage.mount_point must be one folder name after a slash, such as /Spaces."
  }
}

variable "spaces_access_key_id" {
  description = "Spaces access key of the external storage (the stack's spaces_access_key_id, SOPS); unused when external_storage is off."
  type        = string
  sensitive   = true
  default     = ""
}

variable "spaces_secret_access_key" {
  description = "Spaces secret key of the external storage (the stack's spaces_secret_access_key, SOPS); unused when external_storage is off."
  type        = string
  sensitive   = true
  default     = ""
}

variable "reserved_buckets" {
  description = "Buckets of the platform that external storage must not mount, with what they hold (bucket => what): every Nextcloud user would see and change them."
  type        = map(string)
  default     = {}
}
