# Apps: one module per app (modules/apps/<app>, on modules/app-common), each
# in its own apps-tier namespace, named in modules/environment/apps.yaml and
# switched on by var.apps (docs/add-application.md). Each block below is the
# only place the stack names an app's module.

module "registry" {
  source   = "../../modules/apps/registry"
  count    = module.env.apps.registry.enabled ? 1 : 0
  app      = module.env.apps.registry
  platform = module.k8s_config.app_platform
  chart    = module.charts.charts["zot"]
  htpasswd = var.registry_htpasswd
  # Traefik, cert-manager's issuers and Velero's CRDs (for the Schedule)
  # come first.
  depends_on = [module.k8s_config]
}

# WordPress (<root_domain>), seed priority 4: own manifests, MariaDB.
module "wordpress" {
  source                   = "../../modules/apps/wordpress"
  count                    = module.env.apps["wordpress"].enabled ? 1 : 0
  app                      = module.env.apps["wordpress"]
  platform                 = module.k8s_config.app_platform
  database                 = lookup(local.app_databases, "wordpress", null)
  salts                    = var.wordpress_salts
  table_prefix             = var.wordpress_table_prefix
  media_offload            = { enabled = var.wordpress_media_offload, bucket = module.env.names.media_bucket, region = var.region }
  spaces_access_key_id     = var.spaces_access_key_id
  spaces_secret_access_key = var.spaces_secret_access_key
  analytics = var.wordpress_umami_website_id == "" || !module.env.apps["analytics"].enabled ? null : {
    script_url = one(module.analytics[*].tracking_script_url)
    website_id = var.wordpress_umami_website_id
  }
  depends_on = [module.k8s_config, module.database]
}

# Umami (insights.<root_domain>): stateless, its data is its PostgreSQL
# database.
module "analytics" {
  source     = "../../modules/apps/analytics"
  count      = module.env.apps["analytics"].enabled ? 1 : 0
  app        = module.env.apps["analytics"]
  platform   = module.k8s_config.app_platform
  database   = lookup(local.app_databases, "analytics", null)
  app_secret = var.analytics_app_secret != "" ? var.analytics_app_secret : random_password.app_secret["analytics"].result
  depends_on = [module.k8s_config, module.database]
}

# Apps' own secrets when the SOPS file leaves them empty: generated once and
# kept in the (encrypted) state, so a second plan never changes them (a new
# Umami APP_SECRET logs everybody out; a new n8n key loses every credential).
# Kept whether or not the app is enabled: disabling an app for a while must
# not lose the key its database was written with.
resource "random_password" "app_secret" {
  for_each = toset(["analytics", "crm", "mailu", "n8n", "nextcloud"])
  length   = 48
  special  = false
}

# n8n (n8n.<root_domain>, webhooks on webhook.<root_domain>), seed priority
# 5: the official chart, shared Postgres, binary data on a PVC.
module "n8n" {
  source         = "../../modules/apps/n8n"
  count          = module.env.apps["n8n"].enabled ? 1 : 0
  app            = module.env.apps["n8n"]
  platform       = module.k8s_config.app_platform
  database       = lookup(local.app_databases, "n8n", null)
  chart          = module.charts.charts["n8n"]
  encryption_key = local.n8n_encryption_key
  depends_on     = [module.k8s_config, module.database]
}

locals {
  n8n_encryption_key = var.n8n_encryption_key != "" ? var.n8n_encryption_key : random_password.app_secret["n8n"].result
}

# Twenty CRM (crm.<root_domain>): own manifests, server + worker, shared
# Postgres and Valkey, files in S3.
module "crm" {
  source   = "../../modules/apps/crm"
  count    = module.env.apps["crm"].enabled ? 1 : 0
  app      = module.env.apps["crm"]
  platform = module.k8s_config.app_platform
  database = lookup(local.app_databases, "crm", null)
  # The shared Valkey; Twenty empties its own index (1) at every start.
  redis = merge(local.valkey, { db = 1 })
  # Files: prod the private Spaces media bucket (Twenty wants an AWS-style
  # region name; the endpoint picks the region), dev the in-cluster S3
  # server's crm bucket.
  s3 = module.env.is_prod ? {
    endpoint          = "https://${var.region}.digitaloceanspaces.com"
    bucket            = module.env.names.media_bucket
    region            = "us-east-1"
    access_key_id     = var.spaces_access_key_id
    secret_access_key = var.spaces_secret_access_key
    force_path_style  = false
  } : merge(module.k8s_config.backup_s3, { bucket = "crm" })
  app_secret = var.crm_app_secret != "" ? var.crm_app_secret : random_password.app_secret["crm"].result
  depends_on = [module.k8s_config, module.database, module.valkey]
}

# Nextcloud (cloud.<root_domain>), seed priority 7: the official chart,
# shared Postgres and Valkey, files on a PVC, CalDAV/CardDAV behind Traefik.
module "nextcloud" {
  source         = "../../modules/apps/nextcloud"
  count          = module.env.apps["nextcloud"].enabled ? 1 : 0
  app            = module.env.apps["nextcloud"]
  platform       = module.k8s_config.app_platform
  database       = lookup(local.app_databases, "nextcloud", null)
  chart          = module.charts.charts["nextcloud"]
  admin_password = local.nextcloud_admin_password
  # The shared Valkey; index 2 (the CRM owns 1 and empties it at every start).
  redis            = merge(local.valkey, { db = 2 })
  external_storage = merge(var.nextcloud_external_storage, { region = var.region })
  reserved_buckets = {
    (module.env.names.media_bucket)   = "WordPress's media and the CRM's files"
    (module.env.names.backups_bucket) = "Velero's backups and the database dumps"
    (var.state_bucket)                = "the OpenTofu state"
  }
  spaces_access_key_id     = var.spaces_access_key_id
  spaces_secret_access_key = var.spaces_secret_access_key
  depends_on               = [module.k8s_config, module.database, module.valkey]
}

locals {
  nextcloud_admin_password = var.nextcloud_admin_password != "" ? var.nextcloud_admin_password : random_password.app_secret["nextcloud"].result
}

# A DKIM key from SOPS: its public half read here, outside the module (whose
# depends_on would defer a data source to apply), so the DKIM record is in
# the very first plan.
data "tls_public_key" "mailu_dkim" {
  count           = nonsensitive(var.mailu_dkim_private_key != "") ? 1 : 0
  private_key_pem = var.mailu_dkim_private_key
}

# Mailu (mail.<root_domain>), seed priority 8: the official chart, shared
# Postgres, its own Valkey, mail ports through Traefik's load balancer,
# accounts from mail_users/mail_aliases, DKIM key from OpenTofu.
module "mailu" {
  source           = "../../modules/apps/mailu"
  count            = module.env.apps["mailu"].enabled ? 1 : 0
  app              = module.env.apps["mailu"]
  platform         = module.k8s_config.app_platform
  database         = lookup(local.app_databases, "mailu", null)
  chart            = module.charts.charts["mailu"]
  mail_entrypoints = module.k8s_config.mail_entrypoints
  domain           = module.env.root_domain
  secret_key       = var.mailu_secret_key != "" ? var.mailu_secret_key : random_password.app_secret["mailu"].result
  pod_cidr         = module.env.is_prod ? data.digitalocean_kubernetes_cluster.main[0].cluster_subnet : var.dev_pod_cidr
  require_relay    = module.env.is_prod
  relay = {
    host     = var.mailu_relay_host != "" ? var.mailu_relay_host : null
    username = var.mailu_relay_username
    password = var.mailu_relay_password
  }
  dkim_key = length(data.tls_public_key.mailu_dkim) == 0 ? null : {
    private_key_pem = var.mailu_dkim_private_key
    public_key_pem  = data.tls_public_key.mailu_dkim[0].public_key_pem
  }
  users        = var.mail_users
  aliases      = var.mail_aliases
  publish_mx   = var.mail_mx_switched
  dmarc        = var.mail_dmarc
  mta_sts_mode = var.mail_mta_sts_mode
  spf_includes = var.mail_spf_includes
  storage      = var.mailu_storage
  dns_ttl      = var.dns_ttl
  depends_on   = [module.k8s_config, module.database]
}
