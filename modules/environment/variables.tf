variable "app_env" {
  description = "Environment: prod (DOKS) or dev (local cluster). Validated by the calling stack."
  type        = string
}

variable "root_domain_prod" {
  description = "Root domain of the prod environment."
  type        = string
  # The zone is created for this name and every host goes under it: www.
  # would put the whole platform under www.<domain>.
  validation {
    condition     = !startswith(var.root_domain_prod, "www.")
    error_message = "root_domain_prod is ${var.root_domain_prod}: give the domain itself (${trimprefix(var.root_domain_prod, "www.")}), not its www host; the stack creates the DNS zone for this name and puts every host under it."
  }
}

variable "root_domain_dev" {
  description = "Root domain of the dev environment."
  type        = string
  # make dev writes /etc/hosts lines for every dev host: under the prod
  # domain they would send the operator's own browser to the local cluster
  # instead of the live sites.
  validation {
    condition     = var.root_domain_dev != var.root_domain_prod && !endswith(var.root_domain_prod, ".${var.root_domain_dev}")
    error_message = "root_domain_dev (${var.root_domain_dev}) must not be the prod domain nor one of its parents: dev writes /etc/hosts lines for its hosts, which would hide the live sites on this computer. Use a name of its own, for example fullfrontend.kube."
  }
}

variable "repo_root" {
  description = "Absolute path of the repository checkout (prod kubeconfig lives in <repo>/.kube/config)."
  type        = string
}

variable "cluster_name" {
  description = "Name of the DOKS cluster; prefixes the names of the DigitalOcean resources both stacks share."
  type        = string
}

variable "enabled_apps" {
  description = "Apps to run, by name from apps.yaml; null: every app whose module folder modules/apps/<name> exists. Unknown names fail the plan (output apps)."
  type        = set(string)
  default     = null
}

variable "credential_apps" {
  description = "Apps named in the SOPS database credentials, per engine (postgres_app_credentials, mariadb_app_credentials keys); each must be an app of the catalog on that engine (output apps)."
  type        = map(list(string))
  default     = {}
}
