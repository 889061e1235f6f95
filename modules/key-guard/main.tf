# Refuses a change of a key that data was written with (n8n's encryption
# key, WordPress's salts, the DKIM key...), unless the operator names it in
# allow_change. The reference is the fingerprint of the value first applied:
# ignore_changes keeps it while the value changes, so the next plan compares
# the new fingerprint with it. A key allowed to change replaces its
# reference (triggers_replace), and the value then in use becomes the new
# one.
resource "terraform_data" "reference" {
  for_each         = toset(keys(var.keys))
  input            = var.keys[each.key].fingerprint
  triggers_replace = contains(var.allow_change, each.key) ? "change allowed" : "kept"
  lifecycle {
    ignore_changes = [input]
  }
}

resource "terraform_data" "guard" {
  for_each = toset(keys(var.keys))
  input    = var.keys[each.key].fingerprint
  lifecycle {
    precondition {
      condition     = contains(var.allow_change, each.key) || terraform_data.reference[each.key].output == var.keys[each.key].fingerprint
      error_message = "${each.key} is not the value the platform was installed with (changed in the secrets file, or removed so that a generated one replaces it): ${var.keys[each.key].cost} To keep the data, put the old value back in the secrets file. If the change is meant, run once with TF_VAR_allow_key_change='[\"${each.key}\"]'."
    }
  }
}
