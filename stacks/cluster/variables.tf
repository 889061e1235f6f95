variable "app_env" {
  description = "Environment (APP_ENV). This stack builds the DOKS cluster and exists in prod only."
  type        = string
  default     = "prod"
  validation {
    condition     = var.app_env == "prod"
    error_message = "stacks/cluster is prod only (app_env must be \"prod\"); dev runs stacks/platform alone on a local cluster: APP_ENV=dev ./scripts/tofu-secrets.sh plan."
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
  description = "Root domain of dev (unused by this prod-only stack, accepted so both stacks share one tfvars)."
  type        = string
  default     = "fullfrontend.kube"
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.root_domain_dev)) && length(var.root_domain_dev) <= 253
    error_message = "root_domain_dev must be a lower-case DNS name with at least two labels, without scheme, port or trailing dot (for example fullfrontend.kube)."
  }
}

variable "region" {
  description = "DigitalOcean region of the cluster, the VPC and the Spaces buckets."
  type        = string
  default     = "fra1"
  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.region))
    error_message = "region must be a DigitalOcean region slug such as fra1, ams3 or lon1."
  }
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
  description = "Spaces bucket holding the OpenTofu state (created once by scripts/bootstrap-state.sh)."
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
  description = "DigitalOcean API token (read/write)."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.do_token) > 0
    error_message = "do_token is empty: put your DigitalOcean API token in secrets.tfvars and re-encrypt it."
  }
}

variable "spaces_access_key_id" {
  description = "Spaces access key id (state backend and buckets)."
  type        = string
  sensitive   = true
}

variable "spaces_secret_access_key" {
  description = "Spaces secret access key."
  type        = string
  sensitive   = true
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

# Cluster shape. The defaults are sized for the platform of the seed on one
# small node pool; `infra cost` (planned) reports requests against capacity.

variable "cluster_name" {
  description = "Name of the DOKS cluster; also prefixes the VPC, the Spaces buckets and the DO project."
  type        = string
  default     = "fullfrontend"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3-40 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "Private range of the cluster's VPC (Traefik trusts PROXY protocol from it only)."
  type        = string
  default     = "10.110.0.0/20"
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR between /16 and /24 (DigitalOcean's limits), for example 10.110.0.0/20."
  }
}

variable "kubernetes_minor" {
  description = "Kubernetes minor version (for example 1.34); the newest patch of it is resolved through digitalocean_kubernetes_versions, and auto-upgrade keeps patches current."
  type        = string
  # renovate: datasource=github-releases depName=kubernetes/kubernetes versioning=regex:^(?<major>\d+)\.(?<minor>\d+)$ extractVersion=^v(?<version>\d+\.\d+)\.0$
  default = "1.34"
  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_minor))
    error_message = "kubernetes_minor must look like 1.34 (major.minor, no patch)."
  }
}

variable "ha_control_plane" {
  description = "Highly available control plane (billed extra by DigitalOcean)."
  type        = bool
  default     = false
}

variable "node_size" {
  description = "Droplet size slug of the default node pool. The default is the cheapest pool that holds the whole platform (`infra cost` ranks them; TestCostOfDefaultProdPlan fails when it stops being so)."
  type        = string
  default     = "s-4vcpu-8gb"
  validation {
    condition     = can(regex("^[a-z0-9]+(-[a-z0-9]+)+$", var.node_size))
    error_message = "node_size must be a DigitalOcean size slug such as s-4vcpu-8gb."
  }
}

variable "node_pool" {
  description = "Autoscaling bounds of the default node pool."
  type = object({
    min_nodes = number
    max_nodes = number
  })
  default = { min_nodes = 2, max_nodes = 3 }
  validation {
    condition     = var.node_pool.min_nodes >= 1 && var.node_pool.max_nodes >= var.node_pool.min_nodes && var.node_pool.max_nodes <= 10
    error_message = "node_pool needs 1 <= min_nodes <= max_nodes <= 10."
  }
}

variable "maintenance_window" {
  description = "Weekly window for DOKS auto-upgrades (UTC), away from the 03:00 backups."
  type = object({
    day        = string
    start_time = string
  })
  default = { day = "sunday", start_time = "05:00" }
  validation {
    condition     = contains(["any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], var.maintenance_window.day) && can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window.start_time))
    error_message = "maintenance_window.day must be a weekday name or any, and start_time HH:MM (UTC)."
  }
}

variable "backup_retention_days" {
  description = "Days the database dumps are kept in the backups bucket (seed: 30). Velero's own backups expire through their TTL."
  type        = number
  default     = 30
  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 365
    error_message = "backup_retention_days must be between 7 and 365."
  }
}
