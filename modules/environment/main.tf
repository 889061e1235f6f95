# The single source of the environment rules of the seed ("Organisation des
# modules"): everything that differs between prod and dev is derived here from
# app_env, so no stack or app module can disagree on a domain or a feature.
locals {
  is_prod     = var.app_env == "prod"
  root_domain = local.is_prod ? var.root_domain_prod : var.root_domain_dev

  # The app catalog (apps.yaml): FQDN, database and namespace of each app.
  # FQDNs are derived from root_domain only; no app may override its own.
  catalog = yamldecode(file("${path.module}/apps.yaml"))
  fqdns = merge(
    { for name, a in local.catalog : name => a.subdomain == "" ? local.root_domain : "${a.subdomain}.${local.root_domain}" },
    merge([for name, a in local.catalog : { for h, sub in try(a.hosts, {}) : "${name}_${h}" => "${sub}.${local.root_domain}" }]...),
  )
  # An app runs when the stack names it, or by default when its module
  # exists (the seed migrates the apps one by one, as their modules land).
  with_module = [for name in keys(local.catalog) : name if fileexists("${var.repo_root}/modules/apps/${name}/main.tf")]
  enabled     = var.enabled_apps == null ? toset(local.with_module) : var.enabled_apps
  apps = { for name, a in local.catalog : name => {
    name      = name
    namespace = name
    host      = local.fqdns[name]
    hosts     = { for h in keys(try(a.hosts, {})) : h => local.fqdns["${name}_${h}"] }
    database  = try(a.database, null)
    enabled   = contains(local.enabled, name)
  } }

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
