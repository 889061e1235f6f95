#!/usr/bin/env bash
# Creates your age key (never overwrites one) and prints the SOPS exports.
# Usage: bin/age-init.sh [--key-file PATH]; then eval "$(bin/age-init.sh)".
exec "$(dirname "${BASH_SOURCE[0]}")/infra" age-init "$@"
