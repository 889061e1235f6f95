variable "app" {
  description = "The CRM in the app catalog: module.env.apps.crm (name, namespace, host crm.<root_domain>, database postgres). Its shape is checked by modules/app-common."
  type        = any
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform. Its shape is checked by modules/app-common."
  type        = any
}

variable "database" {
  description = "The CRM's PostgreSQL database from the stack: lookup(local.app_databases, \"crm\", null) (engine, host, port, database, user, password)."
  type        = any
  sensitive   = true
  validation {
    condition     = var.database == null ? true : try(var.database.engine == "postgres", false)
    error_message = "database: Twenty runs on PostgreSQL only; the catalog must give crm database: postgres."
  }
  validation {
    # Twenty's entrypoint cuts PG_DATABASE_URL apart with awk and hands the
    # password to psql still percent-encoded, so only characters that URL
    # encoding leaves alone survive the database checks it runs at start.
    condition     = var.database == null ? true : can(regex("^[A-Za-z0-9._~-]+$", var.database.password))
    error_message = "database: the crm password may hold only letters, digits and . _ ~ - (Twenty's entrypoint passes the URL-encoded password to psql). Leave crm out of postgres_app_credentials to get a generated one, or pick such a password."
  }
}

variable "redis" {
  description = "The shared Valkey (Redis protocol) in data: host valkey.data.svc.cluster.local, port 6379, the default user's password, and the database index the CRM owns (db, 1 by default)."
  type = object({
    host     = string
    port     = number
    password = string
    db       = optional(number, 1)
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
    # Twenty flushes its whole Redis database (FLUSHDB) at every server start:
    # index 0, where other apps land by default, is refused.
    condition     = var.redis.db >= 1 && var.redis.db <= 15 && floor(var.redis.db) == var.redis.db
    error_message = "redis.db must be a whole number from 1 to 15: Twenty empties its whole database index at every start, so it must not share index 0 (or any other) with Mailu or Nextcloud."
  }
}

variable "s3" {
  description = "Where Twenty keeps its files (STORAGE_TYPE=s3): prod the Spaces media bucket, dev the in-cluster S3 server. endpoint, bucket, region (an AWS-style name: us-east-1 for Spaces), access keys, force_path_style (Twenty always uses path-style requests; kept for the shape the stack shares)."
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
    condition     = can(regex("^https?://[a-z0-9.-]+(:[0-9]+)?$", var.s3.endpoint))
    error_message = "s3.endpoint must be a scheme and a host, without path, for example https://fra1.digitaloceanspaces.com or http://s3.infra.svc.cluster.local:7070."
  }
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3.bucket))
    error_message = "s3.bucket must be a bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
  validation {
    # Twenty validates STORAGE_S3_REGION with this pattern at boot (its
    # IsAWSRegion decorator) and refuses to start otherwise.
    condition     = can(regex("^[a-z]{2,4}(-[a-z]+){1,2}-[0-9]+$", var.s3.region))
    error_message = "s3.region must be an AWS-style region such as us-east-1: Twenty refuses a Spaces slug like fra1 at boot. For Spaces pass us-east-1 (the endpoint picks the real region)."
  }
  validation {
    condition     = length(var.s3.access_key_id) > 0 && length(var.s3.secret_access_key) > 0
    error_message = "s3: access_key_id and secret_access_key are required (prod: the Spaces keys; dev: the in-cluster S3 server's keys)."
  }
}

variable "app_secret" {
  description = "Twenty's secret, from the stack: SOPS crm_app_secret, generated once and kept in the state when empty. Given to Twenty as ENCRYPTION_KEY and APP_SECRET. Never change it: it encrypts stored OAuth tokens and settings and signs sessions; a new value logs everybody out and leaves the encrypted data unreadable."
  type        = string
  sensitive   = true
  validation {
    # The length rule (at least 32) lives in the stack's crm_app_secret, like
    # Valkey's: test providers generate shorter stand-ins for random_password.
    condition     = can(regex("^[[:graph:]]+$", var.app_secret))
    error_message = "app_secret must be non-empty printable characters without spaces or line breaks (the stack's crm_app_secret asks for at least 32: openssl rand -base64 32)."
  }
}

variable "image" {
  description = "Official Twenty image (server and worker), pinned to a 2.x release; a mirror registry in front of twentycrm/twenty is fine. Upgrades migrate the database at the server's start: read the release notes and take a dump first."
  type        = string
  default     = "docker.io/twentycrm/twenty:v2.45.6"
  validation {
    condition     = can(regex("^([a-z0-9.-]+(:[0-9]+)?/)*twentycrm/twenty:v2\\.[0-9]+\\.[0-9]+(@sha256:[0-9a-f]{64})?$", var.image)) && !strcontains(var.image, "bitnami")
    error_message = "image must be twentycrm/twenty pinned to a v2.x.y release (for example docker.io/twentycrm/twenty:v2.45.6), never latest nor a Bitnami image."
  }
}

variable "resources" {
  description = "Requests and memory limit of the server and the worker (no CPU limit: throttling only slows the migrations). Defaults: Twenty's own chart (packages/twenty-docker/helm/twenty/values.yaml), with the server's limit raised for the upgrades it runs in its own container."
  type = object({
    server = object({
      requests = object({ cpu = string, memory = string })
      limits   = object({ memory = string })
    })
    worker = object({
      requests = object({ cpu = string, memory = string })
      limits   = object({ memory = string })
    })
  })
  default = {
    server = {
      requests = { cpu = "250m", memory = "256Mi" }
      limits   = { memory = "1536Mi" }
    }
    # Twenty's own Kubernetes manifest for the worker requests 256Mi
    # (k8s/manifests/deployment-worker.yaml); its Helm chart's 2Gi is the
    # limit (docs/capacity.md).
    worker = {
      requests = { cpu = "250m", memory = "256Mi" }
      limits   = { memory = "2Gi" }
    }
  }
  validation {
    condition = alltrue([for r in values(var.resources) :
      can(regex("^[0-9]+(m|\\.[0-9]+)?$", r.requests.cpu)) &&
      can(regex("^[0-9]+(Mi|Gi)$", r.requests.memory)) &&
      can(regex("^[0-9]+(Mi|Gi)$", r.limits.memory))
    ])
    error_message = "resources: cpu like 250m or 0.5, memory like 512Mi or 1Gi."
  }
}
