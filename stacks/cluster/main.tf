provider "digitalocean" {
  token             = var.do_token
  spaces_access_id  = var.spaces_access_key_id
  spaces_secret_key = var.spaces_secret_access_key
}

module "env" {
  source           = "../../modules/environment"
  app_env          = var.app_env
  root_domain_prod = var.root_domain_prod
  root_domain_dev  = var.root_domain_dev
  repo_root        = abspath("${path.root}/../..")
}
