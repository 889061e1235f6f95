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
