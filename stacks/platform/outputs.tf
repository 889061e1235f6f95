output "app_env" {
  description = "Environment this state belongs to."
  value       = var.app_env
}

output "root_domain" {
  description = "Root domain of the environment."
  value       = module.env.root_domain
}

output "fqdns" {
  description = "Every FQDN of the app catalog (modules/environment/apps.yaml), derived from root_domain only."
  value       = module.env.fqdns
}

output "apps" {
  description = "Each app of the catalog: whether it runs here, its namespace, host and database engine."
  value       = { for name, a in module.env.apps : name => { enabled = a.enabled, namespace = a.namespace, host = a.host, database = a.database } }
}

output "features" {
  description = "What this environment deploys: DOKS, cert-manager and external-dns in prod only; Velero everywhere."
  value       = module.env.features
}

output "kubeconfig_path" {
  description = "Kubeconfig the providers use: <repo>/.kube/config in prod, ~/.kube/config in dev."
  value       = module.env.kubeconfig_path
}

output "registry_url" {
  description = "URL of the Zot registry (null when the registry is not enabled)."
  value       = one(module.registry[*].url)
}

output "registry_auth_mode" {
  description = "htpasswd, or anonymous-read-only when registry_htpasswd is empty (null when the registry is not enabled)."
  value       = one(module.registry[*].auth_mode)
}

output "grafana_url" {
  description = "URL of Grafana (login required)."
  value       = module.monitoring.grafana_url
}

output "grafana_admin_password" {
  description = "Password of Grafana's admin account: tofu output -raw grafana_admin_password."
  value       = module.monitoring.grafana_admin_password
  sensitive   = true
}

output "wordpress_url" {
  description = "URL of the WordPress site (null when WordPress is not enabled)."
  value       = one(module.wordpress[*].url)
}

output "analytics_url" {
  description = "URL of Umami (null when analytics is not enabled)."
  value       = one(module.analytics[*].url)
}

output "n8n_url" {
  description = "URL of n8n's editor (null when n8n is not enabled)."
  value       = one(module.n8n[*].url)
}

output "n8n_encryption_key" {
  description = "N8N_ENCRYPTION_KEY of n8n: tofu output -raw n8n_encryption_key (keep a copy outside the cluster)."
  value       = local.n8n_encryption_key
  sensitive   = true
}

output "crm_url" {
  description = "URL of the CRM (null when it is not enabled)."
  value       = one(module.crm[*].url)
}

output "nextcloud_url" {
  description = "URL of Nextcloud (null when it is not enabled)."
  value       = one(module.nextcloud[*].url)
}

output "nextcloud_dav_url" {
  description = "CalDAV/CardDAV base URL of Nextcloud, for clients that do not discover it (null when Nextcloud is not enabled)."
  value       = one(module.nextcloud[*].dav_url)
}

output "nextcloud_admin_password" {
  description = "Password of Nextcloud's admin account as first installed: tofu output -raw nextcloud_admin_password."
  value       = local.nextcloud_admin_password
  sensitive   = true
}

output "mail_url" {
  description = "URL of Mailu's web UI: /admin and /webmail (null when mail is not enabled)."
  value       = one(module.mailu[*].url)
}

output "mail_dkim_txt" {
  description = "Value of the DKIM TXT record (dkim._domainkey.<root_domain>), published by external-dns in prod (null when mail is not enabled)."
  value       = one(module.mailu[*].dkim_txt)
}

output "mail_initial_passwords" {
  description = "Initial password of each mail user, by address (docs/migration-mail.md): tofu output -json mail_initial_passwords. Users change it at first login; an apply never resets it."
  value       = length(module.mailu) > 0 ? module.mailu[0].initial_passwords : {}
  sensitive   = true
}

# What `infra doctor` and `infra migrate dns` check the live platform
# against: APP_ENV=prod ./scripts/tofu-secrets.sh output -json doctor > doctor.json
output "doctor" {
  description = "What the platform should look like from outside (DNS, TLS hosts, mail, backups, namespaces), for infra doctor --expect and infra migrate dns --expect."
  value = {
    environment            = var.app_env
    root_domain            = module.env.root_domain
    name_servers           = module.env.is_prod ? ["ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com"] : []
    load_balancer_hostname = module.k8s_config.load_balancer_hostname
    hosts = sort(distinct(concat(
      flatten([for a in module.env.apps : concat([a.host], values(a.hosts)) if a.enabled]),
      [trimprefix(trimprefix(module.monitoring.grafana_url, "https://"), "http://")],
      length(module.mailu) > 0 ? module.mailu[0].hosts : [],
    )))
    mail_host   = length(module.mailu) > 0 ? module.mailu[0].mail_host : ""
    dns_records = values(local.dns_records)
    backups = {
      s3 = {
        endpoint = nonsensitive(module.k8s_config.backup_s3.endpoint)
        bucket   = nonsensitive(module.k8s_config.backup_s3.bucket)
        region   = nonsensitive(module.k8s_config.backup_s3.region)
      }
      databases = [for engine in keys(module.database) : {
        engine                = engine
        namespace             = "data"
        backup_cronjob        = "${engine}-backup"
        restore_check_cronjob = "${engine}-restore-check"
        s3_prefix             = "db/${engine}/"
      }]
      velero_namespace = module.k8s_config.velero_namespace
      velero_schedules = concat(["platform-daily"], [for name, a in module.env.apps : "${name}-daily" if a.enabled])
    }
    app_namespaces = { for name, a in module.env.apps : name => a.namespace if a.enabled }
  }
}
