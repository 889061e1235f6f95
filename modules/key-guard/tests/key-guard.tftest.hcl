# A key changes between two applies: refused, then accepted when named, then
# the new value is the reference.
variables {
  keys = {
    n8n_encryption_key = { fingerprint = "aaa", cost = "every credential stored in n8n becomes unreadable." }
    wordpress_salts    = { fingerprint = "sss", cost = "everyone is logged out." }
  }
}

run "first_apply" {
  command = apply
}

run "same_keys" {
  command = plan
}

run "changed_key_refused" {
  command = plan
  variables {
    keys = {
      n8n_encryption_key = { fingerprint = "bbb", cost = "every credential stored in n8n becomes unreadable." }
      wordpress_salts    = { fingerprint = "sss", cost = "everyone is logged out." }
    }
  }
  expect_failures = [terraform_data.guard["n8n_encryption_key"]]
}

run "changed_key_allowed" {
  command = apply
  variables {
    keys = {
      n8n_encryption_key = { fingerprint = "bbb", cost = "every credential stored in n8n becomes unreadable." }
      wordpress_salts    = { fingerprint = "sss", cost = "everyone is logged out." }
    }
    allow_change = ["n8n_encryption_key"]
  }
}

run "new_value_is_the_reference" {
  command = apply
  variables {
    keys = {
      n8n_encryption_key = { fingerprint = "bbb", cost = "every credential stored in n8n becomes unreadable." }
      wordpress_salts    = { fingerprint = "sss", cost = "everyone is logged out." }
    }
  }
}

run "old_value_now_refused" {
  command         = plan
  expect_failures = [terraform_data.guard["n8n_encryption_key"]]
}

run "unknown_name_refused" {
  command = plan
  variables {
    allow_change = ["n8n_encrytion_key"]
  }
  expect_failures = [var.allow_change]
}
