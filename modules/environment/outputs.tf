output "is_prod" {
  description = "True in prod."
  value       = local.is_prod
}

output "root_domain" {
  description = "Root domain of the selected environment."
  value       = local.root_domain
}

output "fqdns" {
  description = "Every FQDN of the app catalog (apps.yaml), keyed by app; further hosts of an app as <app>_<host>."
  value       = local.fqdns
}

output "apps" {
  description = "The app catalog with what the stack needs of each app: name, namespace, host, hosts, database (postgres, mariadb or null) and enabled."
  value       = local.apps
  precondition {
    condition     = alltrue([for name, a in local.catalog : can(regex("^[a-z][a-z0-9-]{0,40}[a-z0-9]$", name)) && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$", a.subdomain)) && contains(["postgres", "mariadb", "none"], coalesce(try(a.database, null), "none"))])
    error_message = "modules/environment/apps.yaml: every app needs a name of lower-case letters, digits and hyphens (at most 42), a subdomain that is a DNS label or \"\" (the root domain), and database postgres, mariadb or null."
  }
  precondition {
    condition     = length(setsubtract(local.enabled, keys(local.catalog))) == 0
    error_message = "apps: unknown app ${join(", ", sort(setsubtract(local.enabled, keys(local.catalog))))}; the apps are ${join(", ", sort(keys(local.catalog)))} (modules/environment/apps.yaml)."
  }
  precondition {
    condition     = length(setsubtract(setintersection(local.enabled, keys(local.catalog)), local.with_module)) == 0
    error_message = "apps: ${join(", ", sort(setsubtract(setintersection(local.enabled, keys(local.catalog)), local.with_module)))} has no module yet (modules/apps/<name>/main.tf); the apps that can run are ${join(", ", sort(local.with_module))}."
  }
  precondition {
    condition     = alltrue([for engine, names in var.credential_apps : alltrue([for n in names : try(local.catalog[n].database, null) == engine])])
    error_message = "${join("; ", flatten([for engine, names in var.credential_apps : [for n in names : "${engine}_app_credentials has an entry ${n}, but ${contains(keys(local.catalog), n) ? "apps.yaml gives ${n} database ${coalesce(try(local.catalog[n].database, null), "null")}" : "${n} is not an app of modules/environment/apps.yaml"}" if try(local.catalog[n].database, null) != engine]]))}: each entry must be a catalog app on that engine (rename the entry, or add the app to apps.yaml)."
  }
}

output "kubeconfig_path" {
  description = "Kubeconfig the platform stack uses."
  value       = local.kubeconfig_path
}

output "features" {
  description = "Components switched by environment: DOKS, cert-manager and external-dns in prod only; Velero everywhere."
  value = {
    doks          = local.is_prod
    cert_manager  = local.is_prod
    external_dns  = local.is_prod
    velero        = true
    state_backend = local.is_prod ? "s3" : "local"
  }
}

output "names" {
  description = "Names of the shared DigitalOcean resources (cluster, VPC, buckets, project)."
  value       = local.names
}
