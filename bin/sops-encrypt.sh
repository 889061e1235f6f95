#!/usr/bin/env bash
# Encrypts a clear tfvars file for $SOPS_AGE_RECIPIENTS (policy: sops.yaml).
# Usage: bin/sops-encrypt.sh secrets.tfvars secrets.tfvars.enc
exec "$(dirname "${BASH_SOURCE[0]}")/infra" sops-encrypt "$@"
