variable "app_env" {
  description = "Environment: prod (DOKS) or dev (local cluster). Validated by the calling stack."
  type        = string
}

variable "root_domain_prod" {
  description = "Root domain of the prod environment."
  type        = string
}

variable "root_domain_dev" {
  description = "Root domain of the dev environment."
  type        = string
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
