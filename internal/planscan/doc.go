// Package planscan reads an OpenTofu plan (`tofu show -json <planfile>`) and
// checks what it would install, offline: the helm_release values against the
// chart's own files in ../shared/charts (values.schema.json where the chart
// ships one, otherwise the key paths of its values.yaml), and policies over
// both helm values and the objects written with kubectl_manifest (no Bitnami,
// pinned images, requests and limits, probes).
//
// It is steps 2 and 4 of the chain in DESIGN.md section 4; step 3 (sending
// every kubectl_manifest object to a real kube-apiserver) uses the objects
// Load extracts, see stacks/platform_test.go.
//
// Files: plan.go loads a plan; manifest.go has the helpers over the objects
// (pod templates, containers); chart.go checks values against a chart;
// values.go merges values as helm does; one rule_*.go file per policy, run
// by CheckPolicies (policy.go); capacity.go reads the requests and volumes
// that infra cost prices.
//
// Plans made with the test provider have unknown computed values; so does a
// real first plan whenever a value depends on a resource not yet created.
// What is unknown cannot be checked: Load records it (Release.Unknown,
// Manifest.Unknown) instead of failing, and callers decide how to report it.
package planscan
