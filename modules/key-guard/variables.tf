variable "keys" {
  description = "The keys whose change loses something, by name (the secrets file's variable): a fingerprint of the value in use (sha256, so the state holds no second copy) and what a change costs, in one sentence."
  type = map(object({
    fingerprint = string
    cost        = string
  }))
}

variable "allow_change" {
  description = "Names of keys whose change is meant (TF_VAR_allow_key_change='[\"n8n_encryption_key\"]'): their new value is accepted and becomes the reference."
  type        = set(string)
  default     = []
  validation {
    condition     = length(setsubtract(var.allow_change, keys(var.keys))) == 0
    error_message = "allow_key_change names a key that is not guarded: use one of the guarded names (modules/key-guard, stacks/platform/keys.tf)."
  }
}
