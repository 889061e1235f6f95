output "namespace" {
  description = "The app's namespace, once created (depend on this module before writing into it)."
  value       = local.ns
  depends_on  = [kubectl_manifest.namespace]
}

output "labels" {
  description = "Labels every object of the app carries (part-of, managed-by)."
  value       = local.labels
}

output "url" {
  description = "URL of the app's main host: https in prod (cert-manager), http in dev."
  value       = "${local.ingress.tls ? "https" : "http"}://${var.app.host}"
}

output "ingress_class_name" {
  description = "IngressClass to give a chart's ingress (traefik; many charts default to nginx)."
  value       = local.ingress.class_name
}

output "ingress_annotations" {
  description = "Annotations to give a chart's ingress: cert-manager's issuer and external-dns's TTL in prod, none in dev."
  value       = local.ingress.annotations
}

output "ingress_tls" {
  description = "The tls list of an ingress: the Secret <app>-tls for the app's hosts in prod, empty in dev (no cert-manager)."
  value       = local.ingress_tls
}

output "tls_secret" {
  description = "Name of the certificate Secret cert-manager writes in prod (<app>-tls)."
  value       = local.tls_secret
}

output "pvc_names" {
  description = "Names of the PVCs this module created, keyed like var.volumes."
  value       = { for k, _ in var.volumes : k => k }
  depends_on  = [kubectl_manifest.pvc]
}

output "backup_schedule" {
  description = "Name of the app's Velero Schedule (in Velero's namespace)."
  value       = module.backup.name
}

output "database_secret" {
  description = "Name of the Secret holding the app's database credentials (<app>-<engine>), null without a database."
  value       = local.database_secret
  depends_on  = [kubectl_manifest.database]
}
