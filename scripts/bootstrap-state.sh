#!/usr/bin/env bash
# Creates the Spaces bucket of the OpenTofu state (once, before the first
# `tofu init` in prod) and enables its versioning; idempotent. The Spaces keys
# come from the SOPS secrets, decrypted in memory only.
# Usage: ./scripts/bootstrap-state.sh [--bucket NAME] [--region fra1] [--endpoint URL]
exec "$(dirname "${BASH_SOURCE[0]}")/../bin/infra" state-bootstrap "$@"
