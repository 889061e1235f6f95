module "env" {
  source           = "../../modules/environment"
  app_env          = var.app_env
  root_domain_prod = var.root_domain_prod
  root_domain_dev  = var.root_domain_dev
  repo_root        = abspath("${path.root}/../..")
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
