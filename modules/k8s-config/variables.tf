variable "is_prod" {
  description = "True in prod (DOKS): cert-manager, external-dns, DigitalOcean load balancer settings and Spaces; false in dev (local cluster)."
  type        = bool
}

variable "mail" {
  description = "True when Mailu runs: Traefik then also listens on the mail ports (25, 465, 587, 993) of its load balancer."
  type        = bool
  default     = false
}

variable "root_domain" {
  description = "Root domain of the environment (from modules/environment)."
  type        = string
}

variable "charts" {
  description = "Chart sources keyed by chart (module.charts.charts): repository, chart, version."
  type = map(object({
    repository = string
    chart      = string
    version    = string
  }))
  validation {
    condition     = alltrue([for c in ["traefik", "cert-manager", "external-dns", "velero"] : contains(keys(var.charts), c)])
    error_message = "charts must contain traefik, cert-manager, external-dns and velero."
  }
}

variable "cluster_name" {
  description = "Cluster name; names the DigitalOcean load balancer (prod)."
  type        = string
}

variable "vpc_cidr" {
  description = "VPC range of the cluster (prod): the only source trusted for PROXY protocol and forwarded headers. Null in dev."
  type        = string
  default     = null
  validation {
    condition     = var.vpc_cidr == null || can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR such as 10.110.0.0/20, or null in dev."
  }
}

variable "acme_email" {
  description = "E-mail Let's Encrypt uses for expiry notices (prod)."
  type        = string
  validation {
    condition     = can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[a-z]{2,}$", var.acme_email))
    error_message = "acme_email must be an e-mail address, for example ops@fullfrontend.be."
  }
}

variable "dns_ttl" {
  description = "TTL in seconds of the records OpenTofu writes and the one apps annotate for external-dns; lower it (e.g. 300 or 60) during a migration."
  type        = number
  default     = 3600
  validation {
    condition     = var.dns_ttl >= 30 && var.dns_ttl <= 86400
    error_message = "dns_ttl must be between 30 and 86400 seconds."
  }
}

variable "external_dns_owner_id" {
  description = "Owner id of external-dns's TXT registry: records without it are never touched."
  type        = string
  default     = "fullfrontend-doks"
  validation {
    condition     = can(regex("^[a-z0-9-]{3,40}$", var.external_dns_owner_id))
    error_message = "external_dns_owner_id must be 3-40 lower-case letters, digits or hyphens."
  }
}

variable "backups_bucket" {
  description = "Spaces bucket for Velero and database dumps (prod): name and region. Null in dev, where an in-cluster S3 server is used."
  type = object({
    name   = string
    region = string
  })
  default = null
}

variable "do_token" {
  description = "DigitalOcean API token for external-dns and cert-manager's DNS-01 solver (prod)."
  type        = string
  sensitive   = true
  default     = ""
}

variable "spaces_access_key_id" {
  description = "Spaces access key id for Velero and the database backups (prod)."
  type        = string
  sensitive   = true
  default     = ""
}

variable "spaces_secret_access_key" {
  description = "Spaces secret access key (prod)."
  type        = string
  sensitive   = true
  default     = ""
}

variable "dev_s3_host_path" {
  description = "Host directory of the dev S3 server's data (dev only; the node's disk)."
  type        = string
  default     = "/var/lib/fullfrontend/s3"
  validation {
    condition     = startswith(var.dev_s3_host_path, "/")
    error_message = "dev_s3_host_path must be an absolute path."
  }
}

variable "default_backup_namespaces" {
  description = "Namespaces of the platform-daily Velero schedule; each app module adds its own schedule for its namespace."
  type        = list(string)
  default     = ["infra", "data"]
}
