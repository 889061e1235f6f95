# The infra and data tiers (seed: k8s-config covers only those): ingress,
# TLS, DNS, backups. App modules read its outputs.
module "k8s_config" {
  source       = "../../modules/k8s-config"
  is_prod      = module.env.is_prod
  root_domain  = module.env.root_domain
  charts       = module.charts.charts
  cluster_name = module.env.names.cluster
  vpc_cidr     = local.vpc_cidr
  acme_email   = var.acme_email
  dns_ttl      = var.dns_ttl
  mail         = module.env.apps["mailu"].enabled
  backups_bucket = module.env.is_prod ? {
    name   = module.env.names.backups_bucket
    region = var.region
  } : null
  do_token                 = var.do_token
  spaces_access_key_id     = var.spaces_access_key_id
  spaces_secret_access_key = var.spaces_secret_access_key
}
