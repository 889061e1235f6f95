# The certificate of the mail ports (465, 993 and STARTTLS on 25/587) is the
# web one: in prod cert-manager writes mailu-tls for every host of the app
# from app-common's Ingress (Let's Encrypt, renewed in place; Mailu's front
# reloads when the Secret changes). Dev has no cert-manager: a self-signed
# certificate for the same hosts, so that the mail ports still speak TLS.
resource "tls_private_key" "dev" {
  count     = var.platform.ingress.tls ? 0 : 1
  algorithm = "ECDSA"
}

resource "tls_self_signed_cert" "dev" {
  count                 = var.platform.ingress.tls ? 0 : 1
  private_key_pem       = tls_private_key.dev[0].private_key_pem
  dns_names             = local.hostnames
  validity_period_hours = 24 * 365
  early_renewal_hours   = 24 * 30
  allowed_uses          = ["digital_signature", "key_encipherment", "server_auth"]
  subject {
    common_name  = var.app.host
    organization = "Full Frontend (dev)"
  }
}

resource "kubectl_manifest" "tls" {
  count             = var.platform.ingress.tls ? 0 : 1
  server_side_apply = true
  sensitive_fields  = ["data"]
  yaml_body = yamlencode({
    apiVersion = "v1"
    kind       = "Secret"
    type       = "kubernetes.io/tls"
    metadata   = { name = module.common.tls_secret, namespace = module.common.namespace, labels = module.common.labels }
    data = {
      "tls.crt" = base64encode(tls_self_signed_cert.dev[0].cert_pem)
      "tls.key" = base64encode(tls_private_key.dev[0].private_key_pem)
    }
  })
  depends_on = [module.common]
}
