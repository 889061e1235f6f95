variable "app_env" {
  description = "Environment (APP_ENV): prod (DOKS) or dev (local cluster)."
  type        = string
  default     = "prod"
  validation {
    condition     = contains(["prod", "dev"], var.app_env)
    error_message = "app_env must be \"prod\" or \"dev\" (set APP_ENV=prod or APP_ENV=dev)."
  }
}

variable "root_domain_prod" {
  description = "Root domain of prod; every FQDN derives from it."
  type        = string
  default     = "fullfrontend.be"
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.root_domain_prod)) && length(var.root_domain_prod) <= 253
    error_message = "root_domain_prod must be a lower-case DNS name with at least two labels, without scheme, port or trailing dot (for example fullfrontend.be)."
  }
}

variable "root_domain_dev" {
  description = "Root domain of dev; every FQDN derives from it."
  type        = string
  default     = "fullfrontend.kube"
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.root_domain_dev)) && length(var.root_domain_dev) <= 253
    error_message = "root_domain_dev must be a lower-case DNS name with at least two labels, without scheme, port or trailing dot (for example fullfrontend.kube)."
  }
}

variable "cluster_name" {
  description = "Name of the DOKS cluster built by stacks/cluster (prod); the shared resource names derive from it."
  type        = string
  default     = "fullfrontend"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3-40 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "DigitalOcean region of the cluster and its Spaces buckets (prod)."
  type        = string
  default     = "fra1"
  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.region))
    error_message = "region must be a DigitalOcean region slug such as fra1, ams3 or lon1."
  }
}

variable "apps" {
  description = "Apps to deploy, by name from modules/environment/apps.yaml (the seed migrates them one at a time), for example [\"registry\", \"wordpress\"]. Null (default): every app that has a module in modules/apps/. An unknown name fails the plan with the list of apps."
  type        = set(string)
  default     = null
}

variable "chart_sources" {
  description = "Overrides of the third-party charts' repository, name or version, keyed by chart (see modules/chart-sources), for example to use an OCI mirror."
  type = map(object({
    repository = optional(string)
    chart      = optional(string)
    version    = optional(string)
  }))
  default = {}
}

variable "acme_email" {
  description = "E-mail address Let's Encrypt sends certificate expiry notices to (prod)."
  type        = string
  default     = "ops@fullfrontend.be"
  validation {
    condition     = can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[a-z]{2,}$", var.acme_email))
    error_message = "acme_email must be an e-mail address, for example ops@fullfrontend.be."
  }
}

variable "dns_ttl" {
  description = "TTL in seconds of the DNS records of the platform; lower it (300, or 60 on the day of a cut-over) while migrating DNS, raise it afterwards (seed: DNS)."
  type        = number
  default     = 3600
  validation {
    condition     = var.dns_ttl >= 30 && var.dns_ttl <= 86400
    error_message = "dns_ttl must be between 30 and 86400 seconds."
  }
}

variable "kube_context" {
  description = "Kubeconfig context to use; null takes the file's current context (dev: for example docker-desktop)."
  type        = string
  default     = null
}

variable "spaces_region" {
  description = "Region of the Spaces endpoint that holds the state bucket."
  type        = string
  default     = "fra1"
  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.spaces_region))
    error_message = "spaces_region must be a Spaces region slug such as fra1 or ams3."
  }
}

variable "state_bucket" {
  description = "Spaces bucket holding the OpenTofu state (prod)."
  type        = string
  default     = "fullfrontend-tofu-state"
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be 3-63 characters of lower-case letters, digits and hyphens."
  }
}

variable "state_endpoint" {
  description = "S3 endpoint of the state bucket; empty means the Spaces endpoint of spaces_region. Set only to run against another S3 server (the tests' local one)."
  type        = string
  default     = ""
  validation {
    condition     = var.state_endpoint == "" || can(regex("^https?://[^/]+$", var.state_endpoint))
    error_message = "state_endpoint must be empty (Spaces) or a URL such as http://127.0.0.1:7070, without a path."
  }
}

# Secrets: from secrets.tfvars.enc through scripts/tofu-secrets.sh.

variable "do_token" {
  description = "DigitalOcean API token (prod: cluster lookups, external-dns, cert-manager DNS-01). Unused in dev."
  type        = string
  sensitive   = true
  default     = ""
}

variable "spaces_access_key_id" {
  description = "Spaces access key id (prod: state backend, Velero and database backups). Unused in dev."
  type        = string
  sensitive   = true
  default     = ""
}

variable "spaces_secret_access_key" {
  description = "Spaces secret access key (prod: state backend, Velero and database backups). Unused in dev."
  type        = string
  sensitive   = true
  default     = ""
}

variable "state_encryption_passphrase" {
  description = "Passphrase of OpenTofu's state and plan encryption (pbkdf2, at least 16 characters)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.state_encryption_passphrase) >= 16
    error_message = "state_encryption_passphrase must be at least 16 characters (pbkdf2 refuses shorter ones)."
  }
}

variable "registry_htpasswd" {
  description = "Accounts of the Zot registry (registry.<root_domain>): htpasswd lines with bcrypt hashes (htpasswd -nB <user>), from the SOPS secrets. Empty: no accounts, anonymous read-only, nobody can push."
  type        = string
  sensitive   = true
  default     = ""
}

variable "grafana_admin_password" {
  description = "Password of Grafana's admin account (grafana.<root_domain>), from the SOPS secrets, at least 16 characters. Empty: a random one is generated; read it with ./scripts/tofu-secrets.sh output -raw grafana_admin_password."
  type        = string
  sensitive   = true
  default     = ""
}

variable "postgres_superuser_password" {
  description = "Password of PostgreSQL's postgres superuser, from the SOPS secrets, at least 16 characters. Empty: a random one is generated and kept in the (encrypted) state and the postgres-superuser Secret."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.postgres_superuser_password == "" || (length(var.postgres_superuser_password) >= 16 && !can(regex("[\\x00-\\x1f]", var.postgres_superuser_password)))
    error_message = "postgres_superuser_password must be empty (generated) or at least 16 characters without control characters."
  }
}

variable "mariadb_root_password" {
  description = "Password of MariaDB's root account, from the SOPS secrets, at least 16 characters. Empty: a random one is generated and kept in the (encrypted) state and the mariadb-superuser Secret."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.mariadb_root_password == "" || (length(var.mariadb_root_password) >= 16 && !can(regex("[\\x00-\\x1f]", var.mariadb_root_password)))
    error_message = "mariadb_root_password must be empty (generated) or at least 16 characters without control characters."
  }
}

variable "valkey_password" {
  description = "Password of Valkey's default user, from the SOPS secrets, at least 16 characters. Empty: a random one is generated (read it from the valkey-config Secret)."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.valkey_password == "" || (length(var.valkey_password) >= 16 && !can(regex("[\\x00-\\x1f\\x7f]", var.valkey_password)))
    error_message = "valkey_password must be empty (generated) or at least 16 characters without control characters."
  }
}

variable "postgres_app_credentials" {
  description = "PostgreSQL database, user and password of an app, keyed by its name in modules/environment/apps.yaml, from the SOPS secrets; optional: an app without an entry gets database and user <app> and a generated password. The init Job creates what is missing; the app's module writes the Secret <app>-postgres in its namespace. Rules: modules/database/README.md."
  type = map(object({
    database = string
    user     = string
    password = string
  }))
  sensitive = true
  default   = {}
  # The module repeats every rule; these give the error at the variable the
  # operator actually edits.
  validation {
    condition     = alltrue([for v in values(var.postgres_app_credentials) : can(regex("^[a-z][a-z0-9_]{0,62}$", v.database)) && can(regex("^[a-z][a-z0-9_]{0,62}$", v.user))])
    error_message = "postgres_app_credentials: database and user must be non-empty names that SQL never needs to quote: a lower-case letter, then lower-case letters, digits or underscores, at most 63 characters."
  }
  validation {
    condition     = length(distinct([for v in values(var.postgres_app_credentials) : v.database])) == length(var.postgres_app_credentials) && length(distinct([for v in values(var.postgres_app_credentials) : v.user])) == length(var.postgres_app_credentials)
    error_message = "postgres_app_credentials: two apps share a database or a user; each app needs its own."
  }
  validation {
    condition     = alltrue([for v in values(var.postgres_app_credentials) : length(v.password) >= 12 && !can(regex("[\\x00-\\x1f]", v.password))])
    error_message = "postgres_app_credentials: every entry needs a password of at least 12 characters, without control characters."
  }
}

variable "mariadb_app_credentials" {
  description = "MariaDB database, user and password of an app (seed: WordPress only), keyed by its name in modules/environment/apps.yaml, from the SOPS secrets; optional: an app without an entry gets database and user <app> and a generated password. The init Job creates what is missing; the app's module writes the Secret <app>-mariadb in its namespace. Rules: modules/database/README.md."
  type = map(object({
    database = string
    user     = string
    password = string
  }))
  sensitive = true
  default   = {}
  validation {
    condition     = alltrue([for v in values(var.mariadb_app_credentials) : can(regex("^[a-z][a-z0-9_]{0,62}$", v.database)) && can(regex("^[a-z][a-z0-9_]{0,62}$", v.user))])
    error_message = "mariadb_app_credentials: database and user must be non-empty names that SQL never needs to quote: a lower-case letter, then lower-case letters, digits or underscores, at most 63 characters."
  }
  validation {
    condition     = length(distinct([for v in values(var.mariadb_app_credentials) : v.database])) == length(var.mariadb_app_credentials) && length(distinct([for v in values(var.mariadb_app_credentials) : v.user])) == length(var.mariadb_app_credentials)
    error_message = "mariadb_app_credentials: two apps share a database or a user; each app needs its own."
  }
  validation {
    condition     = alltrue([for v in values(var.mariadb_app_credentials) : length(v.password) >= 12 && !can(regex("[\\x00-\\x1f]", v.password))])
    error_message = "mariadb_app_credentials: every entry needs a password of at least 12 characters, without control characters."
  }
}

# Apps (modules/apps/<app>): their options and their secrets from SOPS.

variable "wordpress_salts" {
  description = "WordPress's keys and salts (AUTH_KEY, SECURE_AUTH_KEY, LOGGED_IN_KEY, NONCE_KEY, AUTH_SALT, SECURE_AUTH_SALT, LOGGED_IN_SALT, NONCE_SALT), from the SOPS secrets: copy them from the old site's wp-config.php to keep sessions across the move. A key left out is generated once and kept in the state."
  type        = map(string)
  sensitive   = true
  default     = {}
}

variable "wordpress_media_offload" {
  description = "Offload WordPress's media library to the Spaces media bucket (<cluster_name>-media) with the WP Offload Media plugin. Off by default; on, it needs spaces_access_key_id and spaces_secret_access_key in the SOPS secrets, or the plan fails."
  type        = bool
  default     = false
}

variable "wordpress_umami_website_id" {
  description = "Umami website id (UUID, from Umami's interface) whose tracking snippet WordPress adds to every page; empty: no snippet. Needs the analytics app."
  type        = string
  default     = ""
  validation {
    condition     = var.wordpress_umami_website_id == "" || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.wordpress_umami_website_id))
    error_message = "wordpress_umami_website_id must be empty or Umami's website UUID, for example 0f6a4c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b."
  }
}

variable "analytics_app_secret" {
  description = "Umami's APP_SECRET (insights.<root_domain>), from the SOPS secrets, at least 32 characters. Empty: generated once and kept in the encrypted state. Changing it logs every Umami user out."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.analytics_app_secret == "" || (length(var.analytics_app_secret) >= 32 && !can(regex("[\\x00-\\x1f]", var.analytics_app_secret)))
    error_message = "analytics_app_secret must be empty (generated) or at least 32 characters: openssl rand -base64 32."
  }
}

variable "n8n_encryption_key" {
  description = "N8N_ENCRYPTION_KEY of n8n (encrypts every credential n8n stores in its database), from the SOPS secrets, at least 32 characters. Empty: generated once and kept in the encrypted state (tofu output -raw n8n_encryption_key). Never change it once n8n has stored credentials."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.n8n_encryption_key == "" || (length(var.n8n_encryption_key) >= 32 && !can(regex("[[:space:][:cntrl:]]", var.n8n_encryption_key)))
    error_message = "n8n_encryption_key must be empty (generated) or at least 32 characters without spaces (openssl rand -hex 32)."
  }
}

variable "crm_app_secret" {
  description = "Twenty's ENCRYPTION_KEY (also given as its legacy APP_SECRET) for the CRM (crm.<root_domain>), from the SOPS secrets, at least 32 characters. Empty: generated once and kept in the encrypted state. Never change it once the CRM runs: it encrypts the tokens and settings Twenty stores and signs sessions."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.crm_app_secret == "" || (length(var.crm_app_secret) >= 32 && can(regex("^[[:graph:]]+$", var.crm_app_secret)))
    error_message = "crm_app_secret must be empty (generated) or at least 32 printable characters without spaces: openssl rand -base64 32."
  }
}

variable "nextcloud_admin_password" {
  description = "Password of Nextcloud's admin account (cloud.<root_domain>), from the SOPS secrets, at least 16 characters. Empty: generated once and kept in the encrypted state (tofu output -raw nextcloud_admin_password). Read only at Nextcloud's first start: change it later in Nextcloud itself."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.nextcloud_admin_password == "" || (length(var.nextcloud_admin_password) >= 16 && !can(regex("[[:cntrl:]]", var.nextcloud_admin_password)))
    error_message = "nextcloud_admin_password must be empty (generated) or at least 16 characters without control characters (openssl rand -base64 24)."
  }
}

variable "nextcloud_external_storage" {
  description = "Mount a Spaces bucket in Nextcloud as external storage for every user (files_external, S3 backend), in the cluster's region. Off by default; on, it needs bucket (a bucket of its own, created beforehand: the mount shows the whole bucket) and spaces_access_key_id and spaces_secret_access_key in the SOPS secrets, or the plan fails."
  type = object({
    enabled     = optional(bool, false)
    bucket      = optional(string, "")
    mount_point = optional(string, "/Spaces")
  })
  default = {}
}

# --- Mail (Mailu, mail.<root_domain>) ---

variable "mail_users" {
  description = "Mailboxes of <root_domain>, keyed by local part (alice = alice@<root_domain>): display_name, admin (Mailu global admin), quota_mb (0 = Mailu's default, 1 GB), enabled. `infra migrate mail accounts` writes them from Mail-in-a-Box into mail-accounts.auto.tfvars.json. A new user gets a generated initial password (tofu output -json mail_initial_passwords) and changes it at first login; an apply never resets a password and never deletes a mailbox (a user removed here stays in Mailu until deleted in its admin)."
  type = map(object({
    display_name = optional(string, "")
    admin        = optional(bool, false)
    quota_mb     = optional(number, 0)
    enabled      = optional(bool, true)
  }))
  default = {}
  validation {
    # Dot-atom local parts without +, which is Mailu's recipient delimiter
    # (alice+news@ is delivered to alice@).
    condition     = alltrue([for l, _ in var.mail_users : can(regex("^[a-z0-9!#$%&'*/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*/=?^_`{|}~-]+)*$", l)) && length(l) <= 64 && !strcontains(l, "+")])
    error_message = "mail_users keys must be lower-case local parts (letters, digits, . _ - and the other dot-atom characters, no +, no leading/trailing/double dot, at most 64), for example alice or jean.dupont."
  }
  validation {
    condition     = alltrue([for _, u in var.mail_users : u.quota_mb >= 0 && floor(u.quota_mb) == u.quota_mb && !can(regex("[[:cntrl:]]", u.display_name))])
    error_message = "mail_users: quota_mb must be a whole number of MiB (0 = Mailu's default) and display_name must not contain control characters."
  }
}

variable "mail_aliases" {
  description = "Aliases of <root_domain>, keyed by local part: destinations are local parts of mail_users or full addresses elsewhere, for example { contact = { destinations = [\"alice\", \"bob@example.org\"] } }. An alias removed here is removed from Mailu."
  type = map(object({
    destinations = list(string)
  }))
  default = {}
  validation {
    condition     = alltrue([for l, _ in var.mail_aliases : can(regex("^[a-z0-9!#$%&'*/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*/=?^_`{|}~-]+)*$", l)) && length(l) <= 64 && !strcontains(l, "+")])
    error_message = "mail_aliases keys must be lower-case local parts (dot-atom, no +, at most 64), for example contact."
  }
  validation {
    condition     = length(setintersection(keys(var.mail_aliases), keys(var.mail_users))) == 0
    error_message = "mail_aliases and mail_users share a local part: an address is either a mailbox or an alias; remove it from one of them."
  }
  validation {
    condition     = alltrue([for _, a in var.mail_aliases : length(a.destinations) > 0 && alltrue([for d in a.destinations : can(regex("^[^@[:space:]]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", lower(d))) || contains(keys(var.mail_users), d)])])
    error_message = "mail_aliases: each alias needs at least one destination, each a local part that is a key of mail_users or a full address such as bob@example.org."
  }
  validation {
    # Local parts must be mailboxes (above), so no alias reaches another
    # alias, and no loop is possible; an address of the root domain would
    # get round that (contact -> contact@<root>, or a -> b@<root> -> a).
    condition     = alltrue([for _, a in var.mail_aliases : alltrue([for d in a.destinations : !contains([var.root_domain_prod, var.root_domain_dev], lower(try(split("@", d)[1], "")))])])
    error_message = "mail_aliases: ${join(", ", flatten([for l, a in var.mail_aliases : [for d in a.destinations : "${l} -> ${d}" if contains([var.root_domain_prod, var.root_domain_dev], lower(try(split("@", d)[1], "")))]]))}: a destination in the platform's own domain is written as its local part (alice, not alice@${var.root_domain_prod}), which must be a mailbox of mail_users: an alias to an alias could loop."
  }
}

variable "mail_mx_switched" {
  description = "True once mail goes to Mailu: the stack then publishes <root_domain>'s MX, SPF, DMARC and the mail SRV records. False during the move while Mail-in-a-Box still receives (docs/migration-mail.md): Mailu runs, its accounts exist and the first copy can take its time; only its DKIM key is published. Before switching, remove Mail-in-a-Box's MX, SPF and DMARC from dns_extra_records (the plan refuses both at once)."
  type        = bool
  default     = true
}

variable "mail_dmarc" {
  description = "DMARC policy of <root_domain> (none, quarantine, reject), its percentage, and the local part that receives the aggregate reports (a user or an alias; Mail-in-a-Box used postmaster)."
  type = object({
    policy     = optional(string, "quarantine")
    percentage = optional(number, 100)
    report_to  = optional(string, "postmaster")
  })
  default = {}
}

variable "mail_spf_includes" {
  description = "SPF include: domains of the outbound relay (for example mailgun.org, spf.brevo.com, amazonses.com): mail leaves the cluster through it, so its servers must be allowed by <root_domain>'s SPF."
  type        = list(string)
  default     = []
}

variable "mailu_relay_host" {
  description = "Outbound relay of Mailu in Postfix's relayhost form, for example [smtp.eu.mailgun.org]:587. Required in prod: DigitalOcean blocks outbound port 25, so without a relay no mail would leave. Its login is mailu_relay_username and mailu_relay_password in the SOPS secrets."
  type        = string
  default     = ""
  validation {
    condition     = var.mailu_relay_host == "" || can(regex("^\\[?[a-z0-9]([a-z0-9.-]*[a-z0-9])?\\]?(:[0-9]{1,5})?$", var.mailu_relay_host))
    error_message = "mailu_relay_host must be a host with an optional port, in Postfix's relayhost form: [smtp.eu.mailgun.org]:587."
  }
}

variable "mailu_relay_username" {
  description = "Login of the outbound relay (SOPS secrets)."
  type        = string
  sensitive   = true
  default     = ""
}

variable "mailu_relay_password" {
  description = "Password or API key of the outbound relay (SOPS secrets)."
  type        = string
  sensitive   = true
  default     = ""
}

variable "mailu_secret_key" {
  description = "Mailu's SECRET_KEY (SOPS secrets), at least 32 characters. Empty: generated once and kept in the encrypted state."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.mailu_secret_key == "" || (length(var.mailu_secret_key) >= 32 && can(regex("^[[:graph:]]+$", var.mailu_secret_key)))
    error_message = "mailu_secret_key must be empty (generated) or at least 32 printable characters without spaces: openssl rand -hex 32."
  }
}

variable "mailu_dkim_private_key" {
  description = "DKIM private key of <root_domain> (PEM, RSA 2048: openssl genrsa 2048), from the SOPS secrets. Empty: generated by OpenTofu once and kept in the encrypted state. Given, the DKIM record is known at the first plan and survives a lost state; changing it republishes the record."
  type        = string
  sensitive   = true
  default     = ""
  validation {
    condition     = var.mailu_dkim_private_key == "" || can(regex("^-----BEGIN (RSA )?PRIVATE KEY-----", trimspace(var.mailu_dkim_private_key)))
    error_message = "mailu_dkim_private_key must be empty (generated) or a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----): openssl genrsa 2048."
  }
  validation {
    # The record says k=rsa and Mailu's rspamd signs with the key as RSA. A
    # PKCS #8 key names its algorithm at a fixed place: RSA's identifier
    # (1.2.840.113549.1.1.1) reads ADANBgkqhkiG9w0BAQEFAA in base64 for
    # keys of 1024 to 4096 bits; Ed25519's and EC's differ.
    condition     = !startswith(trimspace(var.mailu_dkim_private_key), "-----BEGIN PRIVATE KEY-----") || strcontains(substr(replace(trimprefix(trimspace(var.mailu_dkim_private_key), "-----BEGIN PRIVATE KEY-----"), "\n", ""), 0, 40), "ADANBgkqhkiG9w0BAQEFAA")
    error_message = "mailu_dkim_private_key is not an RSA key (Ed25519 or EC?): the DKIM record and Mailu sign with RSA; give an RSA 2048 key (openssl genrsa 2048)."
  }
}

variable "dev_pod_cidr" {
  description = "Pod network of the dev cluster (Mailu trusts Traefik's PROXY protocol and its own pods there); the default covers docker-desktop (10.1.0.0/16), kind (10.244.0.0/16) and k3d (10.42.0.0/16). Prod reads the DOKS cluster's own."
  type        = string
  default     = "10.0.0.0/8"
  validation {
    condition     = can(cidrnetmask(var.dev_pod_cidr))
    error_message = "dev_pod_cidr must be an IPv4 CIDR such as 10.244.0.0/16."
  }
}

variable "mailu_storage" {
  description = "Sizes of Mailu's volumes (whole Gi): mail (maildirs; default 10Gi: set it above Mail-in-a-Box's `du -sh /home/user-data/mail/mailboxes` before the copy, a volume grows but never shrinks), queue, admin, antispam, webmail."
  type = object({
    mail     = optional(string, "10Gi")
    queue    = optional(string, "2Gi")
    admin    = optional(string, "1Gi")
    antispam = optional(string, "1Gi")
    webmail  = optional(string, "1Gi")
  })
  default = {}
  validation {
    condition     = alltrue([for v in values(var.mailu_storage) : can(regex("^[1-9][0-9]*Gi$", v))])
    error_message = "mailu_storage sizes must be whole Gi such as 10Gi."
  }
}

# DNS (prod): records of root_domain the stack serves besides its own
# (stacks/platform/dns.tf). infra migrate dns writes them from Mail-in-a-Box's
# zone into dns-extra-records.auto.tfvars.json (docs/migration-dns.md).

variable "dns_extra_records" {
  description = "DNS records of root_domain to serve besides the stack's own (prod only: dev has no public DNS), keyed by a stable name, for example \"google-site-verification\" or \"<name>-<type>\". name: relative to the root domain, \"@\" for the apex (\"www\", \"_dmarc\", \"*.dev\"); type: A, AAAA, CNAME, MX, TXT (external-dns, DNSEndpoint) or SRV, CAA, NS (digitalocean_record); ttl: seconds, null takes dns_ttl; targets as external-dns writes them: TXT the unquoted text (one string, at most 500 characters), MX \"10 mx.example.net\", SRV \"0 1 993 imap.example.net\", CAA \"0 issue \\\"letsencrypt.org\\\"\", host names without the trailing dot. Entries with the same name and type are served as one record set."
  type = map(object({
    name    = string
    type    = string
    ttl     = optional(number)
    targets = list(string)
  }))
  default  = {}
  nullable = false
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", k))])
    error_message = "dns_extra_records: key ${join(", ", [for k, r in var.dns_extra_records : jsonencode(k) if !can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", k))])}: a key is 1-63 lower-case letters, digits and hyphens, for example \"google-site-verification\" or \"www-cname\"; it names the record in the state, so keep it once chosen."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : r.name == "@" || (can(regex("^(\\*|(\\*\\.)?[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*)$", r.name)) && length(r.name) <= 200 && !endswith(r.name, ".${var.root_domain_prod}") && r.name != var.root_domain_prod)])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : "${k} (name ${jsonencode(r.name)})" if !(r.name == "@" || (can(regex("^(\\*|(\\*\\.)?[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*)$", r.name)) && length(r.name) <= 200 && !endswith(r.name, ".${var.root_domain_prod}") && r.name != var.root_domain_prod))])}: name must be \"@\" for the apex or a lower-case name relative to the root domain, without trailing dot: \"www\", \"_dmarc\", \"mail._domainkey\", \"*.dev\" (not \"www.${var.root_domain_prod}\")."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : contains(["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"], r.type)])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : "${k} (type ${jsonencode(r.type)})" if !contains(["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"], r.type)])}: type must be A, AAAA, CNAME, MX, TXT, SRV, CAA or NS, in capitals; DigitalOcean DNS serves no other type (TLSA, SSHFP and DNSSEC records stay behind: docs/migration-dns.md)."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : length(r.targets) > 0 && length(distinct(r.targets)) == length(r.targets) && (r.ttl == null ? true : r.ttl >= 30 && r.ttl <= 86400 && floor(r.ttl) == r.ttl)])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if !(length(r.targets) > 0 && length(distinct(r.targets)) == length(r.targets) && (r.ttl == null ? true : r.ttl >= 30 && r.ttl <= 86400 && floor(r.ttl) == r.ttl))])}: give at least one target, each once, and a ttl of 30 to 86400 whole seconds (or null for dns_ttl)."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "A" || alltrue([for t in r.targets : can(regex("^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$", t))])])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if r.type == "A" && !alltrue([for t in r.targets : can(regex("^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$", t))])])}: an A record's targets are IPv4 addresses such as 203.0.113.10."
  }
  validation {
    # Canonical form (RFC 5952, as cidrhost writes it): DigitalOcean stores
    # that form, and external-dns would otherwise see a change every minute.
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "AAAA" || alltrue([for t in r.targets : strcontains(t, ":") && try(cidrhost("${t}/128", 0) == t, false)])])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if r.type == "AAAA" && !alltrue([for t in r.targets : strcontains(t, ":") && try(cidrhost("${t}/128", 0) == t, false)])])}: an AAAA record's targets are IPv6 addresses in their short lower-case form, such as 2001:db8::10 (not 2001:DB8:0:0::10)."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : !contains(["CNAME", "NS"], r.type) || (r.name != "@" && (r.type == "NS" || length(r.targets) == 1) && alltrue([for t in r.targets : can(regex("^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", t))]))])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if contains(["CNAME", "NS"], r.type) && !(r.name != "@" && (r.type == "NS" || length(r.targets) == 1) && alltrue([for t in r.targets : can(regex("^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", t))]))])}: a CNAME has exactly one target and an NS one or more, each a full lower-case host name without the trailing dot (www.example.net); neither may sit at the apex \"@\" (the apex has the stack's A record and DigitalOcean's NS)."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "MX" || alltrue([for t in r.targets : can(regex("^([0-9]{1,5}) ([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", t)) && try(tonumber(split(" ", t)[0]) <= 65535, false)])])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if r.type == "MX" && !alltrue([for t in r.targets : can(regex("^([0-9]{1,5}) ([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", t)) && try(tonumber(split(" ", t)[0]) <= 65535, false)])])}: an MX target is \"<preference 0-65535> <full host name without trailing dot>\", such as \"10 mx.example.net\"; DigitalOcean refuses the null MX \"0 .\"."
  }
  validation {
    # DigitalOcean splits long text into 255-byte strings itself but refuses
    # more than about 500 characters in all, and any backslash.
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "TXT" || alltrue([for t in r.targets : length(t) >= 1 && length(t) <= 500 && !strcontains(t, "\\")])])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if r.type == "TXT" && !alltrue([for t in r.targets : length(t) >= 1 && length(t) <= 500 && !strcontains(t, "\\")])])}: a TXT target is the record's text unquoted, the strings of a multi-string record joined into one, 1 to 500 characters without backslash (DigitalOcean's limits); a longer DKIM key needs a 2048-bit key instead."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "SRV" || (can(regex("^_[a-z0-9-]+\\._[a-z0-9-]+(\\..+)?$", r.name)) && alltrue([for t in r.targets : can(regex("^[0-9]{1,5} [0-9]{1,5} [0-9]{1,5} ([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", t)) && try(tonumber(split(" ", t)[0]) <= 65535 && tonumber(split(" ", t)[1]) <= 65535 && tonumber(split(" ", t)[2]) >= 1 && tonumber(split(" ", t)[2]) <= 65535, false)]))])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if r.type == "SRV" && !(can(regex("^_[a-z0-9-]+\\._[a-z0-9-]+(\\..+)?$", r.name)) && alltrue([for t in r.targets : can(regex("^[0-9]{1,5} [0-9]{1,5} [0-9]{1,5} ([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", t)) && try(tonumber(split(" ", t)[0]) <= 65535 && tonumber(split(" ", t)[1]) <= 65535 && tonumber(split(" ", t)[2]) >= 1 && tonumber(split(" ", t)[2]) <= 65535, false)]))])}: an SRV record is named _<service>._<protocol> (for example _imaps._tcp) and its targets are \"<priority> <weight> <port 1-65535> <full host name without trailing dot>\", such as \"0 1 993 mail.example.net\"; DigitalOcean refuses port 0 and the target \".\"."
  }
  validation {
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "CAA" || alltrue([for t in r.targets : can(regex("^[0-9]{1,3} (issue|issuewild|iodef) \"[^\"[:space:]]*\"$", t)) && try(tonumber(split(" ", t)[0]) <= 255, false)])])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : k if r.type == "CAA" && !alltrue([for t in r.targets : can(regex("^[0-9]{1,3} (issue|issuewild|iodef) \"[^\"[:space:]]*\"$", t)) && try(tonumber(split(" ", t)[0]) <= 255, false)])])}: a CAA target is '<flags 0-255> <issue|issuewild|iodef> \"<value>\"', such as '0 issue \"letsencrypt.org\"', the value without spaces (DigitalOcean's CAA tags and limits)."
  }
  validation {
    # external-dns drops a CNAME that shares its name with any other record.
    condition     = alltrue([for k, r in var.dns_extra_records : r.type != "CNAME" || length([for k2, r2 in var.dns_extra_records : k2 if r2.name == r.name]) == 1])
    error_message = "dns_extra_records: ${join(", ", [for k, r in var.dns_extra_records : "${k} (${r.name})" if r.type == "CNAME" && length([for k2, r2 in var.dns_extra_records : k2 if r2.name == r.name]) > 1])}: a name with a CNAME can hold no other record; remove the other entries of that name or replace the CNAME by A/AAAA records."
  }
}

variable "alert_email" {
  description = "Addresses that receive the platform's alerts (README.md, \"Alertes\"): critical ones at once, warnings in a daily digest. Required in prod. Mail leaves through mailu_relay_host with its login."
  type        = list(string)
  default     = []
}

variable "alert_heartbeat_url" {
  description = "Optional dead man's switch (SOPS secrets): the ping URL of an external check (Healthchecks.io, Cronitor, Better Stack) that Alertmanager calls every five minutes; the service warns you when the calls stop, that is when the cluster or its monitoring is down. Empty: off."
  type        = string
  sensitive   = true
  default     = ""
}

variable "mail_mta_sts_mode" {
  description = "MTA-STS policy of <root_domain> (published with the MX, at mta-sts.<root_domain>): testing for the first weeks after the switch (read the TLS reports that reach mail_dmarc.report_to), then enforce; none withdraws it."
  type        = string
  default     = "testing"
  validation {
    condition     = contains(["testing", "enforce", "none"], var.mail_mta_sts_mode)
    error_message = "mail_mta_sts_mode must be testing, enforce or none (RFC 8461): testing first, enforce once the TLS reports are clean."
  }
}

variable "allow_key_change" {
  description = "Keys whose change is meant, by their secrets-file name (n8n_encryption_key, analytics_app_secret, crm_app_secret, wordpress_salts, mailu_dkim_private_key): without it, a plan that changes one is refused, as data was written with it (stacks/platform/keys.tf)."
  type        = set(string)
  default     = []
}

variable "wordpress_table_prefix" {
  description = "WordPress's table prefix: the old site's $table_prefix (its wp-config.php), which infra migrate wordpress loads the tables under; wp_ by default."
  type        = string
  default     = "wp_"
}
