variable "name" {
  description = "Engine name: names the Services, Secrets and ConfigMap, and each app's Secret <app>-<name>."
  type        = string
  validation {
    condition     = contains(["postgres", "mariadb"], var.name)
    error_message = "name must be postgres or mariadb."
  }
}

variable "port" {
  description = "TCP port of the server."
  type        = number
}

variable "namespace" {
  description = "Namespace of the server (data)."
  type        = string
}

variable "labels" {
  description = "Labels of every object."
  type        = map(string)
}

variable "client_label" {
  description = "Pod label the NetworkPolicy admits besides the app namespaces (the module's Jobs)."
  type        = map(string)
}

variable "apps_tier_label" {
  description = "Label of the app namespaces admitted by the NetworkPolicy."
  type = object({
    key   = string
    value = string
  })
}

variable "scripts" {
  description = "The engine's scripts, by file name; db-lib.sh is added from this module."
  type        = map(string)
}

variable "superuser_password" {
  description = "Password of the engine's superuser (validated by the engine module)."
  type        = string
  sensitive   = true
}

variable "app_credentials" {
  description = "Database, user, password and namespace of each app, keyed by app (validated by the engine module)."
  type = map(object({
    database  = string
    user      = string
    password  = string
    namespace = string
  }))
  sensitive = true
}

variable "backup_s3" {
  description = "S3 target of the dumps."
  type = object({
    endpoint          = string
    bucket            = string
    region            = string
    access_key_id     = string
    secret_access_key = string
    force_path_style  = bool
  })
  sensitive = true
}

variable "rclone_image" {
  description = "Pinned rclone image whose static binary the backup and restore Jobs use (validated by the engine module)."
  type        = string
}
