module "env" {
  source           = "../../modules/environment"
  app_env          = var.app_env
  root_domain_prod = var.root_domain_prod
  root_domain_dev  = var.root_domain_dev
  repo_root        = abspath("${path.root}/../..")
  cluster_name     = var.cluster_name
  enabled_apps     = var.apps
  credential_apps = {
    postgres = nonsensitive(keys(var.postgres_app_credentials))
    mariadb  = nonsensitive(keys(var.mariadb_app_credentials))
  }
}

module "charts" {
  source    = "../../modules/chart-sources"
  overrides = var.chart_sources
}

# prod: facts of what stacks/cluster built, looked up by their shared names.
data "digitalocean_kubernetes_cluster" "main" {
  count = module.env.is_prod ? 1 : 0
  name  = module.env.names.cluster
}

data "digitalocean_vpc" "main" {
  count = module.env.is_prod ? 1 : 0
  name  = module.env.names.vpc
}

locals {
  vpc_cidr = module.env.is_prod ? data.digitalocean_vpc.main[0].ip_range : null
}

provider "digitalocean" {
  token             = var.do_token
  spaces_access_id  = var.spaces_access_key_id
  spaces_secret_key = var.spaces_secret_access_key
}

provider "kubernetes" {
  config_path    = module.env.kubeconfig_path
  config_context = var.kube_context
}

provider "helm" {
  kubernetes = {
    config_path    = module.env.kubeconfig_path
    config_context = var.kube_context
  }
}

provider "kubectl" {
  config_path      = module.env.kubeconfig_path
  config_context   = var.kube_context
  load_config_file = true
}
