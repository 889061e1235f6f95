package chartrender

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// workers bounds the renders UnreadKeys runs at once (the machines have 2
// cores).
const workers = 2

// UnreadKeys returns the keys set in req.Values that no template of the chart
// reads, or whose value makes no difference: the release renders the same
// with the key set to null (which Helm's coalescing turns into "absent,
// chart default removed too"), with the key left out of the values (the
// chart default applies, so false over a default of true still counts), and
// with another value of its type (so a key equal to its default, and read,
// is not reported). Maps are tried whole first; the leaves of a map that
// makes no difference are each tried with another value; lists are leaves; keys set to null are
// deletions, not settings, and are skipped. A render that fails without the
// key (a template or the schema needs it) counts as reading it. NOTES.txt is
// not compared. Paths are sorted and written with FormatPath.
func (r *Renderer) UnreadKeys(req Request) ([]string, error) {
	key, err := digest(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	cached, ok := r.unread[key]
	r.mu.Unlock()
	if ok {
		return slices.Clone(cached), nil
	}
	out, err := r.unreadKeys(req)
	if err == nil {
		r.mu.Lock()
		r.unread[key] = out
		r.mu.Unlock()
	}
	return slices.Clone(out), err
}

// digest identifies a request (encoding/json sorts map keys).
func digest(req Request) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", req, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func (r *Renderer) unreadKeys(req Request) ([]string, error) {
	base, err := r.baseline(req)
	if err != nil {
		return nil, err
	}

	var (
		mu     sync.Mutex
		unread []string
		wg     sync.WaitGroup
		sem    = make(chan struct{}, workers)
	)
	groups := map[string]bool{} // maps that make no difference as a whole
	report := func(path []string) {
		mu.Lock()
		unread = append(unread, FormatPath(path))
		mu.Unlock()
	}
	// group: the key is inside a map that renders the same without it.
	var visit func(path []string, v any, group bool)
	visit = func(path []string, v any, group bool) {
		if m, ok := v.(map[string]any); v == nil || ok && len(m) == 0 {
			return // sets nothing
		}
		wg.Go(func() {
			sem <- struct{}{}
			same := group || r.sameWith(req, base, path, nil, true) && r.sameWith(req, base, path, nil, false)
			m, isMap := v.(map[string]any)
			if same && !isMap {
				// Equal to the chart's default, and read: another value
				// would change the release.
				if f, ok := flip(v); ok && !r.sameWith(req, base, path, f, false) {
					same = false
				}
			}
			<-sem
			switch {
			case isMap:
				if same {
					mu.Lock()
					groups[FormatPath(path)] = true
					mu.Unlock()
				}
				for k, x := range m {
					visit(append(slices.Clip(path), k), x, same)
				}
			case same:
				report(path)
			}
		})
	}
	for k, v := range req.Values {
		visit([]string{k}, v, false)
	}
	wg.Wait()
	return collapse(req.Values, nil, groups, unread), nil
}

// collapse names a map that makes no difference as a whole, and none of
// whose leaves does, by the map's own path rather than by each leaf.
func collapse(vals map[string]any, at []string, groups map[string]bool, unread []string) []string {
	set := map[string]bool{}
	for _, u := range unread {
		set[u] = true
	}
	var walk func(path []string, v any) bool
	walk = func(path []string, v any) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return v == nil || set[FormatPath(path)]
		}
		all := true
		for _, k := range slices.Sorted(maps.Keys(m)) {
			all = walk(append(slices.Clip(path), k), m[k]) && all
		}
		if !all || !groups[FormatPath(path)] {
			return false
		}
		for u := range set {
			if strings.HasPrefix(u, FormatPath(path)+".") || strings.HasPrefix(u, FormatPath(path)+"[") {
				delete(set, u)
			}
		}
		set[FormatPath(path)] = true
		return true
	}
	for k, v := range vals {
		walk(append(slices.Clip(at), k), v)
	}
	return slices.Sorted(maps.Keys(set))
}

// sameWith reports whether the release renders as the baseline with the key
// at path set to value (nil: null), or left out of the values (remove).
func (r *Renderer) sameWith(req Request, base *baseline, path []string, value any, remove bool) bool {
	req.Values = with(req.Values, path, value, remove)
	docs, err := r.renderFiles(req)
	if err != nil {
		return false
	}
	var again []doc
	if base.random {
		if again, err = r.renderFiles(req); err != nil {
			return false
		}
	}
	return base.same(docs, again)
}

// renderFiles renders req the way Install does up to its template engine, and
// returns every rendered file but NOTES.txt, by path. Install's manifests are
// these files split and sorted, so equal files mean an equal release; skipping
// the split and sort saves a third of each render.
func (r *Renderer) renderFiles(req Request) (docs []doc, err error) {
	ch, caps, err := r.prepare(req)
	if err != nil {
		return nil, err
	}
	if v := ch.Metadata.KubeVersion; v != "" && !chartutil.IsCompatibleRange(v, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("%s: chart requires kubeVersion %s, not %s", req, v, caps.KubeVersion.String())
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: helm panicked: %v", req, p)
		}
	}()
	vals := copyValues(req.Values)
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fmt.Errorf("%s: %w", req, err)
	}
	opts := chartutil.ReleaseOptions{Name: req.Name, Namespace: req.Namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals, opts, caps, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req, err)
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req, err)
	}
	for name, text := range files {
		if !strings.HasSuffix(name, "NOTES.txt") {
			docs = append(docs, doc{template: name, text: text})
		}
	}
	slices.SortFunc(docs, func(a, b doc) int { return strings.Compare(a.template, b.template) })
	return docs, nil
}

// with returns vals with the key at path set to value or deleted; maps on
// the path are copied, the rest is shared (render copies what it passes on).
func with(vals map[string]any, path []string, value any, remove bool) map[string]any {
	out := maps.Clone(vals)
	switch {
	case len(path) > 1:
		out[path[0]] = with(vals[path[0]].(map[string]any), path[1:], value, remove)
	case remove:
		delete(out, path[0])
	default:
		out[path[0]] = value
	}
	return out
}

// flip returns another value of v's type, to tell a key that is read but
// equal to its default from one that nothing reads.
func flip(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return !x, true
	case string:
		return x + "-probe", true
	case float64:
		return x + 1, true
	case int:
		return x + 1, true
	case int64:
		return x + 1, true
	case []any:
		if len(x) > 0 {
			return []any{}, true
		}
		return []any{"probe"}, true
	}
	return nil, false
}

// errNondeterministic: two renders of the same values differ in their set of
// documents, so no comparison can tell what a key does.
var errNondeterministic = errors.New("the release renders a different set of documents each time")

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// FormatPath writes a key path as a dotted path; a key that is not a plain
// identifier is quoted in brackets: podAnnotations["prometheus.io/scrape"].
func FormatPath(path []string) string {
	var b strings.Builder
	for i, k := range path {
		switch {
		case !plainKey.MatchString(k):
			b.WriteString("[" + strconv.Quote(k) + "]")
		case i > 0:
			b.WriteString("." + k)
		default:
			b.WriteString(k)
		}
	}
	return b.String()
}

// baseline is the release rendered with all the values, twice: a chart that
// generates secrets (randAlphaNum, genCA, ...) renders differently each time.
// The lines that differ between the two renders are volatile: a render
// without a key matches the baseline when its other lines are equal and its
// volatile lines are still random (they differ between two renders of it, and
// keep their length where the baseline's did), so that a key replacing a
// generated value with a fixed one (a password) still counts as read.
type baseline struct {
	docs     []doc
	lines    [][]string
	volatile []map[int]int // per document, line number -> its length, or -1 if it varies
	whole    []bool        // per document, its line count varies: only its presence and randomness are compared
	random   bool          // some document varies
}

func (r *Renderer) baseline(req Request) (*baseline, error) {
	var runs [2][]doc
	for i := range runs {
		docs, err := r.renderFiles(req)
		if err != nil {
			return nil, err
		}
		runs[i] = docs
	}
	a, b := runs[0], runs[1]
	if len(a) != len(b) {
		return nil, fmt.Errorf("%s: %w", req, errNondeterministic)
	}
	base := &baseline{
		docs:     a,
		lines:    make([][]string, len(a)),
		volatile: make([]map[int]int, len(a)),
		whole:    make([]bool, len(a)),
	}
	for i := range a {
		if a[i].template != b[i].template || a[i].hook != b[i].hook {
			return nil, fmt.Errorf("%s: %w", req, errNondeterministic)
		}
		la, lb := strings.Split(a[i].text, "\n"), strings.Split(b[i].text, "\n")
		base.lines[i] = la
		if len(la) != len(lb) {
			base.whole[i], base.random = true, true
			continue
		}
		for j := range la {
			if la[j] == lb[j] {
				continue
			}
			if base.volatile[i] == nil {
				base.volatile[i] = map[int]int{}
			}
			base.volatile[i][j] = len(la[j])
			if len(la[j]) != len(lb[j]) {
				base.volatile[i][j] = -1
			}
			base.random = true
		}
	}
	return base, nil
}

// same reports whether docs, and again (a second render of the same values,
// nil when the baseline has no volatile line), match the baseline.
func (b *baseline) same(docs, again []doc) bool {
	if len(docs) != len(b.docs) || (b.random && len(again) != len(docs)) {
		return false
	}
	for i, d := range docs {
		bd := b.docs[i]
		if d.template != bd.template || d.hook != bd.hook {
			return false
		}
		if b.whole[i] {
			if again[i].text == d.text {
				return false
			}
			continue
		}
		vol := b.volatile[i]
		if vol == nil {
			if d.text != bd.text {
				return false
			}
			continue
		}
		lines := strings.Split(d.text, "\n")
		if len(lines) != len(b.lines[i]) {
			return false
		}
		other := strings.Split(again[i].text, "\n")
		if len(other) != len(lines) {
			return false
		}
		for j, l := range lines {
			n, ok := vol[j]
			switch {
			case !ok:
				if l != b.lines[i][j] {
					return false
				}
			case l == other[j]:
				return false // no longer random
			case n >= 0 && (len(l) != n || len(other[j]) != n):
				return false
			}
		}
	}
	return true
}
