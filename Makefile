# Thin entry points: the work is done by Go (cmd/infra) and OpenTofu.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

INFRA_TOOLS_DIR ?= $(HOME)/.cache/fullfrontend-infra/tools
export INFRA_TOOLS_DIR
export PATH := $(INFRA_TOOLS_DIR)/bin:$(PATH)

SHELL_SCRIPTS := bin/infra bin/age-init.sh bin/sops-encrypt.sh scripts/*.sh .githooks/pre-commit .ci/run modules/*/files/*.sh modules/*/files/*/*.sh
TEST_TIMEOUT ?= 75m

.PHONY: help dev tools hooks fmt lint test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

dev: hooks ## dev on the local cluster in one line: builds tofu and sops if needed, then APP_ENV=dev ./scripts/tofu-secrets.sh apply
	go run ./cmd/infra tools install tofu sops
	APP_ENV=dev ./scripts/tofu-secrets.sh apply

tools: hooks ## build the pinned tools into $(INFRA_TOOLS_DIR) and install Debian packages (idempotent)
	go run ./cmd/infra tools install

hooks: ## install the git pre-commit hook that refuses clear secrets
	@if git rev-parse --git-dir >/dev/null 2>&1; then git config core.hooksPath .githooks; fi

fmt: ## format Go and OpenTofu code
	gofmt -w cmd internal stacks modules
	env -u TF_CLI_CONFIG_FILE tofu fmt -recursive stacks modules

lint: ## formatting, go vet, shellcheck
	@bad="$$(gofmt -l cmd internal stacks modules)"; if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi
	go vet ./...
	env -u TF_CLI_CONFIG_FILE tofu fmt -check -recursive -diff stacks modules
	shellcheck -x $(SHELL_SCRIPTS)

test: tools lint ## set up the tools, then run every test and print a summary
	INFRA_TEST_ALL=1 go test -json -count=1 -timeout $(TEST_TIMEOUT) ./... | go run ./cmd/infra test-report
