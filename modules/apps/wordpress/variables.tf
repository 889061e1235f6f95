variable "app" {
  description = "WordPress in the app catalog: module.env.apps.wordpress (name, namespace, host <root_domain>, database mariadb). Its shape is checked by modules/app-common."
  type        = any
}

variable "platform" {
  description = "What the app takes from the platform: module.k8s_config.app_platform. Its shape is checked by modules/app-common."
  type        = any
}

variable "database" {
  description = "WordPress's MariaDB database from the stack (engine, host, port, database, user, password); modules/app-common writes it as the Secret wordpress-mariadb."
  type        = any
  sensitive   = true
}

variable "image" {
  description = "Official WordPress image (Apache variant), pinned to a release. WordPress core comes from the image at every start; wp-content lives on the PVC."
  type        = string
  default     = "docker.io/library/wordpress:7.1.1-php8.3-apache"
  validation {
    condition     = can(regex("^([a-z0-9.-]+/)*wordpress:[0-9]+\\.[0-9]+\\.[0-9]+-php[0-9]+\\.[0-9]+-apache$", var.image)) && !strcontains(var.image, "bitnami")
    error_message = "image must be an official wordpress Apache image pinned to a release, for example docker.io/library/wordpress:7.1.1-php8.3-apache (never latest, never Bitnami)."
  }
}

variable "storage_size" {
  description = "Size of the wp-content PVC (themes, plugins, uploads). It can be raised later, never lowered."
  type        = string
  default     = "10Gi"
  validation {
    condition     = can(regex("^[1-9][0-9]*(Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a whole number of Gi or Ti, for example 10Gi."
  }
}

variable "salts" {
  description = "WordPress's keys and salts (AUTH_KEY, SECURE_AUTH_KEY, LOGGED_IN_KEY, NONCE_KEY, AUTH_SALT, SECURE_AUTH_SALT, LOGGED_IN_SALT, NONCE_SALT), from the SOPS secrets (wordpress_salts), for example those of the old site's wp-config.php. Any key left out is generated once and kept in the state: a new salt logs every user out."
  type        = map(string)
  sensitive   = true
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.salts : contains(["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"], k) && length(v) >= 32 && !can(regex("[\\x00-\\x1f']", v))])
    error_message = "salts: keys are AUTH_KEY, SECURE_AUTH_KEY, LOGGED_IN_KEY, NONCE_KEY, AUTH_SALT, SECURE_AUTH_SALT, LOGGED_IN_SALT or NONCE_SALT; each value at least 32 characters, without control characters or single quotes."
  }
}

variable "media_offload" {
  description = "Optional offload of the media library to a Spaces bucket through the WP Offload Media plugin (amazon-s3-and-cloudfront, to be installed and activated in wp-content): off by default. On, it needs the Spaces keys (spaces_access_key_id, spaces_secret_access_key), or the plan fails."
  type = object({
    enabled = optional(bool, false)
    bucket  = optional(string, "")
    region  = optional(string, "fra1")
  })
  default = {}
  validation {
    condition     = !var.media_offload.enabled || (can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.media_offload.bucket)) && can(regex("^[a-z]{3}[0-9]$", var.media_offload.region)))
    error_message = "media_offload: with enabled = true, bucket must be a Spaces bucket name (for example fullfrontend-media) and region a Spaces region such as fra1."
  }
}

variable "spaces_access_key_id" {
  description = "Spaces access key of the media offload (the stack's spaces_access_key_id, SOPS); unused when media_offload is off."
  type        = string
  sensitive   = true
  default     = ""
}

variable "spaces_secret_access_key" {
  description = "Spaces secret key of the media offload (the stack's spaces_secret_access_key, SOPS); unused when media_offload is off."
  type        = string
  sensitive   = true
  default     = ""
}

variable "analytics" {
  description = "Optional Umami tracking snippet added to every page by a must-use plugin: script_url (module.analytics[0].tracking_script_url) and website_id (created in Umami's interface). Null: no snippet."
  type = object({
    script_url = string
    website_id = string
  })
  default = null
  validation {
    condition     = var.analytics == null || (can(regex("^https?://[^/]+/", try(var.analytics.script_url, ""))) && can(regex("^[0-9a-f-]{36}$", try(var.analytics.website_id, ""))))
    error_message = "analytics: script_url must be an http(s) URL such as https://insights.fullfrontend.be/script.js and website_id Umami's website UUID."
  }
}

variable "cron_schedule" {
  description = "When the CronJob runs WordPress's scheduled tasks (wp-cron.php), instead of on page loads (DISABLE_WP_CRON)."
  type        = string
  default     = "*/5 * * * *"
  validation {
    condition     = length(split(" ", trimspace(var.cron_schedule))) == 5
    error_message = "cron_schedule must be a five-field cron expression such as \"*/5 * * * *\"."
  }
}

variable "resources" {
  description = "Requests and memory limit of the WordPress container (Apache + PHP; no CPU limit, as everywhere in the platform)."
  type = object({
    requests = object({ cpu = string, memory = string })
    limits   = object({ memory = string })
  })
  default = {
    # The limit holds 6 Apache workers at PHP's 128M memory_limit
    # (modules/apache-prefork); docs/capacity.md has the figures.
    requests = { cpu = "100m", memory = "256Mi" }
    limits   = { memory = "1Gi" }
  }
  validation {
    condition = (
      can(regex("^[0-9]+(m|\\.[0-9]+)?$", var.resources.requests.cpu)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.requests.memory)) &&
      can(regex("^[0-9]+(Mi|Gi)$", var.resources.limits.memory))
    )
    error_message = "resources: cpu like 100m or 0.5, memory like 256Mi or 1Gi."
  }
}

variable "table_prefix" {
  description = "WordPress's table prefix ($table_prefix of the old site's wp-config.php): the migrated tables carry it."
  type        = string
  default     = "wp_"
  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,20}$", var.table_prefix))
    error_message = "table_prefix must be 1-20 letters, digits or underscores, as WordPress allows (for example wp_ or wpx7_)."
  }
}
