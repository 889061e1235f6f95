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

# The database password of every enabled app that needs one and has no
# entry in the SOPS credentials: generated once, then kept in the
# (encrypted) state, so a second plan never changes it.
resource "random_password" "app_database" {
  for_each = toset([for name, a in module.env.apps : name if a.enabled && a.database != null && !contains(nonsensitive(keys(local.sops_app_credentials[coalesce(a.database, "postgres")])), name)])
  length   = 32
  special  = false
}

locals {
  data_storage_class = module.env.is_prod ? "do-block-storage" : null
  # Dev's S3 server has no lifecycle rule; prod's bucket expires db/ itself.
  data_retention_days = module.env.is_prod ? 0 : 30

  valkey_password = var.valkey_password != "" ? var.valkey_password : random_password.data["valkey"].result
  # What an app gets of the shared Valkey; it adds its own db index.
  valkey = { host = module.valkey.host, port = module.valkey.port, password = local.valkey_password }

  superuser_passwords = {
    postgres = var.postgres_superuser_password
    mariadb  = var.mariadb_root_password
  }
  sops_app_credentials = {
    postgres = var.postgres_app_credentials
    mariadb  = var.mariadb_app_credentials
  }
  # Per engine, for each enabled app of the catalog on that engine: its
  # SOPS entry or, when it has none, the default one (database and user
  # named after the app, generated password). modules/environment refuses
  # a SOPS entry for an app the catalog does not put on that engine.
  app_credentials = {
    for engine, sops in local.sops_app_credentials : engine => {
      # A conditional, not try(): try() over a generated (unknown) password
      # would make the whole entry unknown at plan, host and user included.
      for name, a in module.env.apps : name => contains(nonsensitive(keys(sops)), name) ? sops[name] : {
        database = replace(name, "-", "_")
        user     = replace(name, "-", "_")
        password = random_password.app_database[name].result
      } if a.enabled && a.database == engine
    }
  }
  # What each app module writes as its Secret <app>-<engine>.
  app_databases = {
    for name, a in module.env.apps : name => merge(local.app_credentials[a.database][name], {
      engine = a.database
      host   = module.database[a.database].host
      port   = module.database[a.database].port
    }) if a.enabled && a.database != null
  }
}

module "database" {
  for_each              = toset(["postgres", "mariadb"])
  source                = "../../modules/database"
  engine                = each.key
  namespace             = module.k8s_config.namespaces.data
  storage_class         = local.data_storage_class
  superuser_password    = local.superuser_passwords[each.key] != "" ? local.superuser_passwords[each.key] : random_password.data[each.key].result
  app_credentials       = local.app_credentials[each.key]
  apps_tier_label       = module.k8s_config.apps_tier_label
  backup_s3             = module.k8s_config.backup_s3
  backup_retention_days = local.data_retention_days
  # The data namespace and the dev S3 server come first.
  depends_on = [module.k8s_config]
}

module "valkey" {
  source          = "../../modules/valkey"
  namespace       = module.k8s_config.namespaces.data
  storage_class   = local.data_storage_class
  password        = local.valkey_password
  apps_tier_label = module.k8s_config.apps_tier_label
  depends_on      = [module.k8s_config]
}
