# The single source of the environment rules of the seed ("Organisation des
# modules"): everything that differs between prod and dev is derived here from
# app_env, so no stack or app module can disagree on a domain or a feature.
locals {
  is_prod     = var.app_env == "prod"
  root_domain = local.is_prod ? var.root_domain_prod : var.root_domain_dev

  # FQDNs are derived from root_domain only; no app may override its own.
  fqdns = {
    wordpress   = local.root_domain
    n8n         = "n8n.${local.root_domain}"
    n8n_webhook = "webhook.${local.root_domain}"
    nextcloud   = "cloud.${local.root_domain}"
    mail        = "mail.${local.root_domain}"
    analytics   = "insights.${local.root_domain}"
    registry    = "registry.${local.root_domain}"
    crm         = "crm.${local.root_domain}"
  }

  # Names of the DigitalOcean resources stacks/cluster creates and
  # stacks/platform reads (through data sources, never copied by hand).
  names = {
    cluster        = var.cluster_name
    vpc            = "${var.cluster_name}-vpc"
    backups_bucket = "${var.cluster_name}-backups"
    media_bucket   = "${var.cluster_name}-media"
    project        = var.cluster_name
  }

  # prod: written by `doctl kubernetes cluster kubeconfig save` (exec
  # credential, so no 7-day static token); dev: the local cluster's default.
  kubeconfig_path = local.is_prod ? "${var.repo_root}/.kube/config" : pathexpand("~/.kube/config")
}
