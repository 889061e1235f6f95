#!/usr/bin/env bash
# Runs OpenTofu over the stacks of APP_ENV with the decrypted SOPS secrets,
# and removes the clear file on every exit.
# Usage: APP_ENV=prod|dev ./scripts/tofu-secrets.sh plan|apply|destroy|output [tofu args]
exec "$(dirname "${BASH_SOURCE[0]}")/../bin/infra" tofu-secrets "$@"
