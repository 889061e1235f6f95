# The CRM module's contract, checked from a plan with a mocked provider:
# Twenty's server and worker in prod and in dev, the Secret they read, and
# what the module refuses.
mock_provider "kubectl" {}

variables {
  app = { name = "crm", namespace = "crm", host = "crm.fullfrontend.be", database = "postgres" }
  # module.k8s_config.app_platform in prod.
  platform = {
    ingress = {
      class_name     = "traefik"
      namespace      = "infra"
      tls            = true
      cluster_issuer = "letsencrypt-prod"
      annotations    = { "cert-manager.io/cluster-issuer" = "letsencrypt-prod", "external-dns.alpha.kubernetes.io/ttl" = "300" }
      pod_labels     = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" }
    }
    apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
    velero_namespace = "infra"
    storage_class    = "do-block-storage"
  }
  # local.app_databases["crm"]: the characters URL encoding keeps as they are.
  database = { engine = "postgres", host = "postgres.data.svc.cluster.local", port = 5432, database = "crm", user = "crm", password = "Abc.def_GHI~jkl-0123456789" }
  # A password URL encoding must change (@, space, /).
  redis = { host = "valkey.data.svc.cluster.local", port = 6379, password = "va@lkey pass/word" }
  # Spaces media bucket, with the AWS-style region Twenty accepts.
  s3 = {
    endpoint          = "https://fra1.digitaloceanspaces.com"
    bucket            = "fullfrontend-media"
    region            = "us-east-1"
    access_key_id     = "DO00EXAMPLEKEYID0000"
    secret_access_key = "example-secret-access-key-for-tests-only"
    force_path_style  = false
  }
  app_secret = "test-only-app-secret-0123456789abcdefABCDEF"
}

run "prod" {
  command = plan
  assert {
    condition     = output.url == "https://crm.fullfrontend.be" && output.namespace == "crm" && output.backup_schedule == "crm-daily"
    error_message = "the CRM lives at https://crm.<root_domain> in its namespace crm, with its Velero schedule crm-daily"
  }
  assert {
    condition     = module.common.ingress_tls == tolist([{ secretName = "crm-tls", hosts = tolist(["crm.fullfrontend.be"]) }]) && module.common.ingress_annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    error_message = "prod's Ingress must serve crm.fullfrontend.be with cert-manager's certificate crm-tls"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.service.yaml_body).spec) == { selector = { "app.kubernetes.io/name" = "twenty", "app.kubernetes.io/component" = "server" }, ports = [{ name = "http", port = 3000, targetPort = "http" }] }
    error_message = "the Service twenty must send port 3000 to the server pods only (the route and the NetworkPolicy point there)"
  }
  assert {
    condition = nonsensitive({ for e in yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers[0].env : e.name => e.value }) == {
      SERVER_URL                     = "https://crm.fullfrontend.be"
      NODE_PORT                      = "3000"
      STORAGE_TYPE                   = "s3"
      STORAGE_S3_REGION              = "us-east-1"
      STORAGE_S3_NAME                = "fullfrontend-media"
      STORAGE_S3_ENDPOINT            = "https://fra1.digitaloceanspaces.com"
      TELEMETRY_ENABLED              = "false"
      DISABLE_DB_MIGRATIONS          = "false"
      DISABLE_CRON_JOBS_REGISTRATION = "false"
    }
    error_message = "the server needs https SERVER_URL, S3 storage on the media bucket, and runs the migrations itself; nothing secret in plain env"
  }
  assert {
    condition = nonsensitive({ for k, v in yamldecode(kubectl_manifest.env.yaml_body).data : k => base64decode(v) }) == {
      PG_DATABASE_URL              = "postgres://crm:Abc.def_GHI~jkl-0123456789@postgres.data.svc.cluster.local:5432/crm"
      REDIS_URL                    = "redis://default:va%40lkey%20pass%2Fword@valkey.data.svc.cluster.local:6379/1"
      ENCRYPTION_KEY               = "test-only-app-secret-0123456789abcdefABCDEF"
      APP_SECRET                   = "test-only-app-secret-0123456789abcdefABCDEF"
      STORAGE_S3_ACCESS_KEY_ID     = "DO00EXAMPLEKEYID0000"
      STORAGE_S3_SECRET_ACCESS_KEY = "example-secret-access-key-for-tests-only"
    }
    error_message = "the Secret twenty-env must hold the database and Valkey URLs (password URL-encoded, Valkey index 1), the app secret under both names and the S3 keys"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.env.yaml_body).metadata.name) == "twenty-env" && output.env_secret == "twenty-env"
    error_message = "the module's Secret is twenty-env"
  }
  assert {
    condition = alltrue([for d in [kubectl_manifest.server, kubectl_manifest.worker] :
      nonsensitive(yamldecode(d.yaml_body).spec.template.spec.containers[0].envFrom) == [{ secretRef = { name = "twenty-env" } }]
    ])
    error_message = "the server and the worker read their secrets from twenty-env through envFrom"
  }
  assert {
    condition = alltrue([for d in [kubectl_manifest.server, kubectl_manifest.worker] : alltrue([
      for secret in ["Abc.def_GHI~jkl-0123456789", "va@lkey pass/word", "va%40lkey", "test-only-app-secret", "example-secret-access-key", "DO00EXAMPLEKEYID0000"] :
      !strcontains(nonsensitive(d.yaml_body), secret)
    ])])
    error_message = "no password, key or app secret may appear in a Deployment: they come from the Secret only"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers[0].resources) == { requests = { cpu = "250m", memory = "256Mi" }, limits = { memory = "1536Mi" } }
    error_message = "the server needs CPU and memory requests and a memory limit"
  }
  assert {
    condition = alltrue([for p in ["startupProbe", "readinessProbe", "livenessProbe"] :
      nonsensitive(yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers[0][p].httpGet) == { path = "/healthz", port = "http" }
    ]) && nonsensitive(yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers[0].startupProbe.failureThreshold) * 10 >= 600
    error_message = "the server needs startup, readiness and liveness probes on /healthz, the startup one allowing minutes of migrations"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.server.yaml_body).spec.strategy.type) == "Recreate" && nonsensitive(yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers[0].ports) == [{ name = "http", containerPort = 3000 }]
    error_message = "one server at a time (each start migrates), on port 3000"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].resources) == { requests = { cpu = "250m", memory = "256Mi" }, limits = { memory = "2Gi" } }
    error_message = "the worker needs CPU and memory requests and a memory limit"
  }
  assert {
    condition = (
      nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].args) == ["yarn", "worker:prod"] &&
      !can(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].command) &&
      !can(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].ports)
    )
    error_message = "the worker runs yarn worker:prod through the image's entrypoint and opens no port"
  }
  assert {
    condition = (
      nonsensitive({ for e in yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].env : e.name => e.value }).DISABLE_DB_MIGRATIONS == "true" &&
      nonsensitive({ for e in yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].env : e.name => e.value }).DISABLE_CRON_JOBS_REGISTRATION == "true" &&
      nonsensitive({ for e in yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].env : e.name => e.value }).SERVER_URL == "https://crm.fullfrontend.be"
    )
    error_message = "only the server migrates and registers cron jobs; the worker knows the public URL too"
  }
  assert {
    condition     = strcontains(nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].livenessProbe.exec.command[2]), "/:18EB$/") && !can(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].readinessProbe)
    error_message = "the worker's liveness must check its connection to Valkey's port 6379 (18EB in /proc/net/tcp)"
  }
  assert {
    condition = alltrue([for c in concat(
      nonsensitive(yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers),
      nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers),
      nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.initContainers),
      ) : c.image == "docker.io/twentycrm/twenty:v2.45.6" && c.securityContext == { allowPrivilegeEscalation = false, capabilities = { drop = ["ALL"] } } && can(c.resources.requests.cpu) && can(c.resources.requests.memory) && can(c.resources.limits.memory)
    ])
    error_message = "every container (init included) runs the pinned image without privilege escalation nor capabilities, with requests and a memory limit"
  }
  assert {
    condition = alltrue([for d in [kubectl_manifest.server, kubectl_manifest.worker] :
      nonsensitive(yamldecode(d.yaml_body).spec.template.spec.securityContext) == { runAsNonRoot = true, runAsUser = 1000, runAsGroup = 1000, seccompProfile = { type = "RuntimeDefault" } } &&
      !can(yamldecode(d.yaml_body).spec.template.spec.volumes)
    ])
    error_message = "both pods run as uid 1000 with RuntimeDefault seccomp (restricted) and mount no volume (files are in S3)"
  }
}

run "dev" {
  command = plan
  variables {
    app = { name = "crm", namespace = "crm", host = "crm.fullfrontend.kube", database = "postgres" }
    # module.k8s_config.app_platform in dev: no cert-manager, no external-dns.
    platform = {
      ingress          = { class_name = "traefik", namespace = "infra", tls = false, cluster_issuer = null, annotations = {}, pod_labels = { "app.kubernetes.io/name" = "traefik", "app.kubernetes.io/instance" = "traefik-infra" } }
      apps_tier_label  = { key = "fullfrontend.be/tier", value = "apps" }
      velero_namespace = "infra"
      storage_class    = null
    }
    # The in-cluster S3 server of dev (versitygw), path-style only.
    s3 = {
      endpoint          = "http://s3.infra.svc.cluster.local:7070"
      bucket            = "crm"
      region            = "us-east-1"
      access_key_id     = "devaccesskey00000000"
      secret_access_key = "devsecretkey0000000000000000000000000000"
      force_path_style  = true
    }
  }
  assert {
    condition     = output.url == "http://crm.fullfrontend.kube" && length(module.common.ingress_tls) == 0 && length(module.common.ingress_annotations) == 0
    error_message = "dev serves plain http, without TLS nor cert-manager annotation"
  }
  assert {
    condition = nonsensitive({ for e in yamldecode(kubectl_manifest.server.yaml_body).spec.template.spec.containers[0].env : e.name => e.value if startswith(e.name, "S") }) == {
      SERVER_URL          = "http://crm.fullfrontend.kube"
      STORAGE_TYPE        = "s3"
      STORAGE_S3_REGION   = "us-east-1"
      STORAGE_S3_NAME     = "crm"
      STORAGE_S3_ENDPOINT = "http://s3.infra.svc.cluster.local:7070"
    }
    error_message = "dev's server needs an http SERVER_URL and the in-cluster S3 endpoint (Twenty always sends path-style requests, which versitygw needs)"
  }
  assert {
    condition     = nonsensitive(base64decode(yamldecode(kubectl_manifest.env.yaml_body).data.STORAGE_S3_ACCESS_KEY_ID)) == "devaccesskey00000000" && nonsensitive(base64decode(yamldecode(kubectl_manifest.env.yaml_body).data.STORAGE_S3_SECRET_ACCESS_KEY)) == "devsecretkey0000000000000000000000000000"
    error_message = "dev's Secret must carry the dev S3 server's keys"
  }
}

run "custom_valkey_index_and_resources" {
  command = plan
  variables {
    redis = { host = "valkey.data.svc.cluster.local", port = 6380, password = "plainpassword0123", db = 3 }
    resources = {
      server = { requests = { cpu = "100m", memory = "512Mi" }, limits = { memory = "1Gi" } }
      worker = { requests = { cpu = "50m", memory = "384Mi" }, limits = { memory = "1Gi" } }
    }
  }
  assert {
    condition     = nonsensitive(base64decode(yamldecode(kubectl_manifest.env.yaml_body).data.REDIS_URL)) == "redis://default:plainpassword0123@valkey.data.svc.cluster.local:6380/3"
    error_message = "REDIS_URL must follow the Valkey port and database index"
  }
  assert {
    condition     = strcontains(nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].livenessProbe.exec.command[2]), "/:18EC$/")
    error_message = "the worker's liveness must follow the Valkey port"
  }
  assert {
    condition     = nonsensitive(yamldecode(kubectl_manifest.worker.yaml_body).spec.template.spec.containers[0].resources) == { requests = { cpu = "50m", memory = "384Mi" }, limits = { memory = "1Gi" } }
    error_message = "the worker's resources come from var.resources"
  }
}

run "refuses_latest_image" {
  command = plan
  variables {
    image = "twentycrm/twenty:latest"
  }
  expect_failures = [var.image]
}

run "refuses_bitnami_image" {
  command = plan
  variables {
    image = "docker.io/bitnami/twentycrm/twenty:v2.45.6"
  }
  expect_failures = [var.image]
}

run "refuses_app_secret_with_line_break" {
  command = plan
  variables {
    # A copy-paste error: the secret with its trailing newline.
    app_secret = "0123456789abcdef0123456789abcdef0123\n"
  }
  expect_failures = [var.app_secret]
}

run "refuses_spaces_region_slug" {
  command = plan
  variables {
    s3 = {
      endpoint          = "https://fra1.digitaloceanspaces.com"
      bucket            = "fullfrontend-media"
      region            = "fra1"
      access_key_id     = "DO00EXAMPLEKEYID0000"
      secret_access_key = "example-secret-access-key-for-tests-only"
      force_path_style  = false
    }
  }
  expect_failures = [var.s3]
}

run "refuses_valkey_index_0" {
  command = plan
  variables {
    redis = { host = "valkey.data.svc.cluster.local", port = 6379, password = "plainpassword0123", db = 0 }
  }
  expect_failures = [var.redis]
}

run "refuses_database_password_psql_cannot_take" {
  command = plan
  variables {
    database = { engine = "postgres", host = "postgres.data.svc.cluster.local", port = 5432, database = "crm", user = "crm", password = "p@ss:word/with#specials" }
  }
  expect_failures = [var.database]
}

run "refuses_mariadb" {
  command = plan
  variables {
    database = { engine = "mariadb", host = "mariadb.data.svc.cluster.local", port = 3306, database = "crm", user = "crm", password = "Abc0123456789xyz" }
  }
  expect_failures = [var.database]
}
