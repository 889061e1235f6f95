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

# The cluster and its Spaces buckets are stacks/cluster's, in its region: a
# different region here would point the CRM, Velero and Nextcloud at
# buckets that are not there.
resource "terraform_data" "region_matches_cluster" {
  count = module.env.is_prod ? 1 : 0
  input = var.region
  lifecycle {
    precondition {
      condition     = data.digitalocean_kubernetes_cluster.main[0].region == var.region
      error_message = "region is ${var.region} but the cluster ${module.env.names.cluster} and its Spaces buckets (stacks/cluster) are in ${data.digitalocean_kubernetes_cluster.main[0].region}: give both stacks the same region (TF_VAR_region)."
    }
  }
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
