package planscan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Chart is the offline copy of one chart version: <chartsDir>/<name>/<version>/.
type Chart struct {
	Name, Version string
	Dir           string
	// Defaults is values.yaml.
	Defaults map[string]any
	// Dependencies come from Chart.yaml (absent file: none).
	Dependencies []Dependency
	schema       *jsonschema.Schema // nil when the chart ships no values.schema.json
}

// Dependency is one subchart declared in Chart.yaml.
type Dependency struct {
	Name       string
	Alias      string
	Repository string
	Condition  string // comma-separated values paths, e.g. "redis.enabled"
}

// Key is where the subchart's values live in the parent's values.
func (d Dependency) Key() string {
	if d.Alias != "" {
		return d.Alias
	}
	return d.Name
}

// HasSchema reports whether the chart ships values.schema.json.
func (c *Chart) HasSchema() bool { return c.schema != nil }

// ErrNoOfflineCopy is returned by LoadChart when chartsDir has no folder
// for the chart version.
var ErrNoOfflineCopy = errors.New("no offline copy of the chart")

// ChartName is the chart's folder name for a helm_release `chart`, which
// may be a bare name, repo/name or an OCI reference.
func ChartName(chart string) string {
	return path.Base(strings.TrimSuffix(chart, "/"))
}

// LoadChart reads <chartsDir>/<name>/<version>/ and compiles its schema.
func LoadChart(chartsDir, name, version string) (*Chart, error) {
	dir := filepath.Join(chartsDir, name, version)
	raw, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s version %s (no %s)", ErrNoOfflineCopy, name, version, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read values of chart %s %s: %w", name, version, err)
	}
	c := &Chart{Name: name, Version: version, Dir: dir}
	if c.Defaults, err = parseYAMLMap(string(raw)); err != nil {
		return nil, fmt.Errorf("chart %s %s: values.yaml: %w", name, version, err)
	}
	if c.Dependencies, err = readDependencies(dir); err != nil {
		return nil, fmt.Errorf("chart %s %s: %w", name, version, err)
	}
	if c.schema, err = compileSchema(dir); err != nil {
		return nil, fmt.Errorf("chart %s %s: %w", name, version, err)
	}
	return c, nil
}

func readDependencies(dir string) ([]Dependency, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read Chart.yaml: %w", err)
	}
	meta, err := parseYAMLMap(string(raw))
	if err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	list, _ := meta["dependencies"].([]any)
	deps := make([]Dependency, 0, len(list))
	for _, d := range list {
		m, _ := d.(map[string]any)
		deps = append(deps, Dependency{Name: str(m, "name"), Alias: str(m, "alias"),
			Repository: str(m, "repository"), Condition: str(m, "condition")})
	}
	return deps, nil
}

// compileSchema compiles values.schema.json if present. Only the file
// loader is available, so a schema that refers to a remote document fails
// here instead of reaching the network.
func compileSchema(dir string) (*jsonschema.Schema, error) {
	file := filepath.Join(dir, "values.schema.json")
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	c := jsonschema.NewCompiler()
	s, err := c.Compile(file)
	if err != nil {
		return nil, fmt.Errorf("compile values.schema.json: %w", err)
	}
	return s, nil
}

// Enabled evaluates a dependency's condition the way helm does: the first
// of its comma-separated paths that holds a boolean decides; none means
// enabled.
func (d Dependency) Enabled(values map[string]any) bool {
	for _, p := range strings.Split(d.Condition, ",") {
		if v, ok := lookup(values, strings.TrimSpace(p)); ok {
			if b, ok := v.(bool); ok {
				return b
			}
		}
	}
	return true
}

// CheckValues checks a release's values against its chart's offline copy:
// against values.schema.json when the chart has one (over the values helm
// validates, defaults included), otherwise key by key against values.yaml.
// A release without a pinned version, or whose version has no offline copy,
// is itself a problem: its values could not be checked.
func CheckValues(chartsDir string, r Release) []Problem {
	name := ChartName(r.Chart)
	if r.Version == "" {
		return []Problem{{Address: r.Address, Message: fmt.Sprintf("chart %s has no pinned version", name)}}
	}
	c, err := LoadChart(chartsDir, name, r.Version)
	if errors.Is(err, ErrNoOfflineCopy) {
		return []Problem{{Address: r.Address, Message: fmt.Sprintf(
			"no offline copy of chart %s version %s: add its files to shared/charts (or pin a version that has them)", name, r.Version)}}
	}
	if err != nil {
		return []Problem{{Address: r.Address, Message: err.Error()}}
	}
	if c.HasSchema() {
		return c.validateSchema(r)
	}
	return c.checkKeys(r)
}

// validateSchema validates the coalesced values, as `helm install` does.
func (c *Chart) validateSchema(r Release) []Problem {
	err := c.schema.Validate(coalesce(c.Defaults, r.Values))
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Address: r.Address, Message: fmt.Sprintf("schema validation: %v", err)}}
	}
	printer := message.NewPrinter(language.English)
	seen := map[string]bool{}
	var out []Problem
	for _, leaf := range leafErrors(ve) {
		p := Problem{Address: r.Address, Path: strings.Join(leaf.InstanceLocation, "."),
			Message: fmt.Sprintf("does not match %s values.schema.json: %s", c.Name, leaf.ErrorKind.LocalizedString(printer))}
		if key := p.String(); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

func leafErrors(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leafErrors(c)...)
	}
	return out
}

// freeFormKeys are keys whose content is not described by values.yaml in
// any chart: Kubernetes objects passed through as they are (resources,
// security contexts, affinity), and maps whose keys are the user's own
// (annotations, labels, selectors, env maps, rule maps). Nothing below them
// is checked; the API server checks the rendered objects on a real apply.
var freeFormKeys = map[string]bool{
	"resources":                    true,
	"securityContext":              true,
	"podSecurityContext":           true,
	"containerSecurityContext":     true,
	"affinity":                     true,
	"nodeSelector":                 true,
	"tolerations":                  true,
	"topologySpreadConstraints":    true,
	"env":                          true,
	"extraEnv":                     true,
	"envFrom":                      true,
	"extraArgs":                    true,
	"additionalPrometheusRulesMap": true,
	"storageSpec":                  true, // a PVC template (kube-prometheus-stack)
	"volumeClaimTemplate":          true,
}

// freeFormSuffixes extend freeFormKeys to the many *Annotations, *Labels,
// *SecurityContext and *Selector keys (podAnnotations, commonLabels,
// ruleSelector, ...).
var freeFormSuffixes = []string{"Annotations", "annotations", "Labels", "labels", "SecurityContext", "Selector", "selector"}

func isFreeFormKey(k string) bool {
	if freeFormKeys[k] {
		return true
	}
	for _, s := range freeFormSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// templateOnlyKeys are keys a chart's templates read although its
// values.yaml does not declare them, per chart (read from the chart's
// templates at that version). They are accepted and not descended.
var templateOnlyKeys = map[string]map[string]bool{
	// zot 0.1.x deployment.yaml: .Values.resources, .Values.securityContext,
	// .Values.podSecurityContext, .Values.imagePullSecrets,
	// .Values.forceRoll, .Values.authHeader.
	"zot": {"resources": true, "securityContext": true, "podSecurityContext": true,
		"imagePullSecrets": true, "forceRoll": true, "authHeader": true},
	// nextcloud 9.2.4: deployment.yaml and cronjob.yaml read
	// .Values.persistence.existingClaim, _helpers.tpl (nextcloud.env)
	// .Values.nextcloud.existingSecret.secretName; values.yaml has both
	// only as comments.
	"nextcloud": {"persistence.existingClaim": true, "nextcloud.existingSecret.secretName": true},
}

// checkKeys reports every key path of the release's values that the
// chart's values.yaml does not have. It descends maps only; below a
// free-form key, a key whose default is null or an empty map, or a subchart
// (whose values are not in the parent's files), anything goes.
func (c *Chart) checkKeys(r Release) []Problem {
	k := keyChecker{chart: c, address: r.Address, subcharts: map[string]bool{"global": true}}
	for _, d := range c.Dependencies {
		k.subcharts[d.Key()] = true
	}
	k.walk("", c.Defaults, r.Values)
	sort.Slice(k.problems, func(i, j int) bool { return k.problems[i].Path < k.problems[j].Path })
	return k.problems
}

type keyChecker struct {
	chart     *Chart
	address   string
	subcharts map[string]bool // top-level keys handed to subcharts (and global)
	problems  []Problem
}

func (k *keyChecker) walk(at string, defaults, user map[string]any) {
	for key, uv := range user {
		p := joinPath(at, key)
		dv, known := defaults[key]
		switch {
		case at == "" && k.subcharts[key]:
			continue
		case !known && templateOnlyKeys[k.chart.Name][p]:
			continue
		case !known:
			k.problems = append(k.problems, Problem{Address: k.address, Path: p,
				Message: fmt.Sprintf("not a key of chart %s %s values.yaml (helm would silently ignore it)", k.chart.Name, k.chart.Version)})
			continue
		case isFreeFormKey(key):
			continue
		}
		dm, dIsMap := dv.(map[string]any)
		um, uIsMap := uv.(map[string]any)
		if dv == nil || !dIsMap || len(dm) == 0 || !uIsMap {
			// null or {} default: free-form; scalar or list: a leaf, and
			// lists are not descended.
			continue
		}
		k.walk(p, dm, um)
	}
}
