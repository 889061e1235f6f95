# One Velero Schedule. Callers add `depends_on = [module.k8s_config]` so it is
# applied after Velero's CRDs; kubectl_manifest does not need them at plan.
# File-system backup (kopia) is the default for every
# pod volume, so PVC data lands in the backup bucket, not in DO snapshots.
resource "kubectl_manifest" "schedule" {
  server_side_apply = true
  wait              = false
  yaml_body = yamlencode({
    apiVersion = "velero.io/v1"
    kind       = "Schedule"
    metadata = {
      name      = var.name
      namespace = var.velero_namespace
      labels = {
        "app.kubernetes.io/managed-by" = "opentofu"
      }
    }
    spec = {
      schedule                   = var.schedule
      useOwnerReferencesInBackup = false
      template = {
        includedNamespaces       = var.included_namespaces
        ttl                      = var.ttl
        snapshotVolumes          = false
        defaultVolumesToFsBackup = true
        storageLocation          = "default"
      }
    }
  })
}
