# Workers × (PHP memory_limit + 32 MiB) within the container's limit.
mock_provider "kubectl" {}

variables {
  name      = "app-apache"
  namespace = "app"
}

run "wordpress" {
  command = plan
  variables {
    memory_limit         = "1Gi"
    php_memory_limit_mib = 128
  }
  assert {
    condition     = output.workers == 6
    error_message = "1Gi holds 6 workers of 160 MiB"
  }
  assert {
    condition     = strcontains(output.conf, "MaxRequestWorkers       6\n") && strcontains(output.conf, "ServerLimit             6\n")
    error_message = "the configuration sets 6 workers"
  }
  assert {
    condition     = yamldecode(kubectl_manifest.config.yaml_body).data["mpm_prefork.conf"] == output.conf && yamldecode(kubectl_manifest.config.yaml_body).metadata.namespace == "app"
    error_message = "the ConfigMap holds the configuration, in the application's namespace"
  }
  assert {
    condition     = output.volume.configMap.name == "app-apache" && output.volume_mount.name == output.volume.name && output.pod_annotations["fullfrontend.be/apache-hash"] == sha256(output.conf)
    error_message = "the pod mounts the ConfigMap and restarts when it changes"
  }
}

run "nextcloud" {
  command = plan
  variables {
    memory_limit         = "2560Mi"
    php_memory_limit_mib = 512
  }
  assert {
    condition     = output.workers == 4
    error_message = "2560Mi holds 4 workers of 544 MiB"
  }
}

run "too_small_a_limit" {
  command = plan
  variables {
    memory_limit         = "768Mi"
    php_memory_limit_mib = 512
  }
  expect_failures = [kubectl_manifest.config]
}

run "not_a_quantity" {
  command = plan
  variables {
    memory_limit         = "1G"
    php_memory_limit_mib = 128
  }
  expect_failures = [var.memory_limit]
}
