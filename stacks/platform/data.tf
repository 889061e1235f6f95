# The data tier (seed "Base de données", "Stockage", "Init Jobs"): our own
# PostgreSQL, MariaDB and Valkey StatefulSets in the data namespace, daily
# dumps to the backups bucket and a daily restore check. Secrets come from
# the SOPS file (secrets.tfvars.example, section "Données").

# Generated only when the SOPS file leaves a password empty.
resource "random_password" "data" {
  for_each = toset(["postgres", "mariadb", "valkey"])
  length   = 32
  special  = false
}

locals {
  data_storage_class = module.env.is_prod ? "do-block-storage" : null
  # Dev's S3 server has no lifecycle rule; prod's bucket expires db/ itself.
  data_retention_days = module.env.is_prod ? 0 : 30
}

module "postgres" {
  source                = "../../modules/postgres"
  namespace             = module.k8s_config.namespaces.data
  storage_class         = local.data_storage_class
  superuser_password    = var.postgres_superuser_password != "" ? var.postgres_superuser_password : random_password.data["postgres"].result
  app_credentials       = var.postgres_app_credentials
  apps_tier_label       = module.k8s_config.apps_tier_label
  backup_s3             = module.k8s_config.backup_s3
  backup_retention_days = local.data_retention_days
  # The data namespace and the dev S3 server come first.
  depends_on = [module.k8s_config]
}

module "mariadb" {
  source                = "../../modules/mariadb"
  namespace             = module.k8s_config.namespaces.data
  storage_class         = local.data_storage_class
  superuser_password    = var.mariadb_root_password != "" ? var.mariadb_root_password : random_password.data["mariadb"].result
  app_credentials       = var.mariadb_app_credentials
  apps_tier_label       = module.k8s_config.apps_tier_label
  backup_s3             = module.k8s_config.backup_s3
  backup_retention_days = local.data_retention_days
  depends_on            = [module.k8s_config]
}

module "valkey" {
  source          = "../../modules/valkey"
  namespace       = module.k8s_config.namespaces.data
  storage_class   = local.data_storage_class
  password        = var.valkey_password != "" ? var.valkey_password : random_password.data["valkey"].result
  apps_tier_label = module.k8s_config.apps_tier_label
  depends_on      = [module.k8s_config]
}
