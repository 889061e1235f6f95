# Keys that data was written with: a change (a new value in the secrets file,
# or the value removed so that a generated one takes its place) is refused
# unless named in allow_key_change (modules/key-guard). Nextcloud's own
# secret is not here: Nextcloud generates and keeps it in its config.php.
module "key_guard" {
  source = "../../modules/key-guard"
  keys = merge(
    {
      n8n_encryption_key   = { fingerprint = sha256(local.n8n_encryption_key), cost = "every credential stored in n8n becomes unreadable and must be entered again." }
      analytics_app_secret = { fingerprint = sha256(var.analytics_app_secret != "" ? var.analytics_app_secret : random_password.app_secret["analytics"].result), cost = "every Umami session ends and shared links stop working." }
      crm_app_secret       = { fingerprint = sha256(var.crm_app_secret != "" ? var.crm_app_secret : random_password.app_secret["crm"].result), cost = "every Twenty session and token becomes invalid." }
    },
    module.env.apps["wordpress"].enabled ? {
      wordpress_salts = { fingerprint = one(module.wordpress[*].salts_fingerprint), cost = "every WordPress user is logged out and password-reset links break." }
    } : {},
    module.env.apps["mailu"].enabled ? {
      mailu_dkim_private_key = { fingerprint = sha256(one(module.mailu[*].dkim_txt)), cost = "mail is signed with a new DKIM key while receivers may still hold the old DNS record: some mail fails DKIM until the record's TTL has passed everywhere." }
    } : {},
  )
  allow_change = var.allow_key_change
}
