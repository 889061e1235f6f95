package kubeharness

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// DefaultFieldManager is the field manager of applies that name none.
const DefaultFieldManager = "kubeharness"

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Namespace receives namespaced objects that name none; default "default".
	Namespace string
	// DryRun validates and admits every object without persisting it.
	DryRun bool
	// FieldManager owns the applied fields; default DefaultFieldManager.
	FieldManager string
	// FieldValidation is Strict (default, as with kubectl: duplicate fields
	// are errors), Warn or Ignore. Unknown fields are refused by server-side
	// apply in every mode, since it needs a schema for each field it records.
	FieldValidation string
}

// Result is one object the server accepted.
type Result struct {
	APIVersion string
	Kind       string
	Namespace  string // empty for cluster-scoped objects
	Name       string
	Resource   string // plural resource name, e.g. "deployments"
	// Object is the server's answer: the object after defaulting and
	// admission, as JSON.
	Object []byte
	// Warnings are the server's Warning headers, e.g. deprecated APIs or,
	// with FieldValidation=Warn, unknown fields.
	Warnings []string
}

// ObjectError is the server's refusal of a request about one object.
//
// Schema validation answers 422 Invalid. Server-side apply, however, answers
// 500 with a message starting "failed to create typed patch object" when the
// object has a field the schema lacks or a value of the wrong type, whatever
// FieldValidation says (kubernetes/kubernetes#139253): the request is refused
// all the same, the code just does not say whose fault it is.
type ObjectError struct {
	Op        string // "apply", "dry-run apply" or "get"
	Kind      string
	Namespace string
	Name      string
	Code      int    // HTTP status, e.g. 422
	Reason    string // Status reason, e.g. "Invalid"
	Message   string // Status message: names the fields at fault
	Causes    []Cause
}

// Cause is one entry of a Status's details.causes, typically one field.
type Cause struct {
	Type    string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (e *ObjectError) Error() string {
	status := "HTTP " + strconv.Itoa(e.Code)
	if e.Reason != "" {
		status += " " + e.Reason
	}
	return fmt.Sprintf("%s %s: %s (%s)", e.Op, objectRef(e.Kind, e.Namespace, e.Name), e.Message, status)
}

// IsNotFound reports whether err is the server saying the object does not exist.
func IsNotFound(err error) bool {
	var oe *ObjectError
	return errors.As(err, &oe) && oe.Code == http.StatusNotFound
}

// objectRef formats Kind namespace/name, or Kind name when cluster-scoped.
func objectRef(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// Apply server-side applies every object of a multi-document YAML manifest,
// with force so that the harness's manager takes over conflicting fields.
// Empty documents are skipped and a v1 List is applied item by item.
//
// Every object is tried even after one fails, so a single run reports all
// rejections: the error joins one *ObjectError per refused object (use
// errors.As), and the results hold the accepted objects in manifest order.
func (c *Cluster) Apply(ctx context.Context, manifest []byte, opts ApplyOptions) ([]Result, error) {
	objs, err := decodeManifest(manifest)
	if err != nil {
		return nil, err
	}
	var results []Result
	var errs []error
	for _, o := range objs {
		r, err := c.applyOne(ctx, o, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, r)
	}
	return results, errors.Join(errs...)
}

// CreateNamespace applies a Namespace, so it is a no-op if it exists.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	manifest := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %q\n", name)
	_, err := c.Apply(ctx, []byte(manifest), ApplyOptions{})
	return err
}

// Get returns an object as JSON. A missing object is an *ObjectError for
// which IsNotFound is true. namespace is ignored for cluster-scoped kinds.
func (c *Cluster) Get(ctx context.Context, apiVersion, kind, namespace, name string) ([]byte, error) {
	res, err := c.lookup(ctx, apiVersion, kind)
	if err != nil {
		return nil, err
	}
	if !res.namespaced {
		namespace = ""
	}
	body, _, err := c.request(ctx, http.MethodGet, objectPath(apiVersion, res, namespace, name), nil, "", nil)
	if err != nil {
		return nil, annotate(err, "get", kind, namespace, name)
	}
	return body, nil
}

// object is one decoded document: the fields that address it and its body.
type object struct {
	index      int // 1-based document number, for errors
	apiVersion string
	kind       string
	namespace  string
	name       string
	body       []byte // sent as is, so the server sees duplicate keys too
}

// header is the part of an object the harness needs to route it.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// decodeManifest splits a manifest into objects, skipping empty documents and
// expanding v1 Lists.
func decodeManifest(manifest []byte) ([]object, error) {
	var objs []object
	for i, doc := range splitDocuments(manifest) {
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: invalid YAML: %w", i+1, err)
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
			continue // only comments or whitespace
		}
		var h header
		if err := json.Unmarshal(js, &h); err != nil {
			return nil, fmt.Errorf("document %d: not a Kubernetes object: %w", i+1, err)
		}
		if h.APIVersion == "v1" && h.Kind == "List" {
			for j, item := range h.Items {
				o, err := newObject(i+1, item, item)
				if err != nil {
					return nil, fmt.Errorf("document %d, item %d: %w", i+1, j+1, err)
				}
				objs = append(objs, o)
			}
			continue
		}
		o, err := newObject(i+1, js, doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func newObject(index int, js, body []byte) (object, error) {
	var h header
	if err := json.Unmarshal(js, &h); err != nil {
		return object{}, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	switch {
	case h.APIVersion == "" || h.Kind == "":
		return object{}, errors.New("apiVersion and kind are required")
	case h.Metadata.Name == "":
		// Apply addresses objects by name; generateName cannot be applied.
		return object{}, fmt.Errorf("%s: metadata.name is required", h.Kind)
	}
	return object{index: index, apiVersion: h.APIVersion, kind: h.Kind,
		namespace: h.Metadata.Namespace, name: h.Metadata.Name, body: body}, nil
}

// splitDocuments cuts YAML at "---" lines. A marker may only start at column
// zero, where no block scalar content can be, so this needs no YAML parser.
// Documents may be empty; the caller decides what to skip.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for line := range bytes.Lines(data) {
		content := bytes.TrimRight(line, "\r\n")
		if !bytes.HasPrefix(content, []byte("---")) ||
			(len(content) > 3 && content[3] != ' ' && content[3] != '\t') {
			cur = append(cur, line...)
			continue
		}
		docs = append(docs, cur)
		cur = nil
		// "--- value" starts the next document on the marker line.
		if rest := bytes.TrimSpace(content[3:]); len(rest) > 0 && rest[0] != '#' {
			cur = append(cur, rest...)
			cur = append(cur, '\n')
		}
	}
	return append(docs, cur)
}

// applyOne sends one object as an apply patch.
func (c *Cluster) applyOne(ctx context.Context, o object, opts ApplyOptions) (Result, error) {
	op := "apply"
	if opts.DryRun {
		op = "dry-run apply"
	}
	res, err := c.lookup(ctx, o.apiVersion, o.kind)
	if err != nil {
		return Result{}, fmt.Errorf("%s %s (document %d): %w", op, objectRef(o.kind, o.namespace, o.name), o.index, err)
	}
	ns := ""
	if res.namespaced {
		ns = cmp.Or(o.namespace, opts.Namespace, "default")
	}
	q := url.Values{}
	q.Set("fieldManager", cmp.Or(opts.FieldManager, DefaultFieldManager))
	q.Set("fieldValidation", cmp.Or(opts.FieldValidation, "Strict"))
	q.Set("force", "true")
	if opts.DryRun {
		q.Set("dryRun", "All")
	}
	body, hdr, err := c.request(ctx, http.MethodPatch, objectPath(o.apiVersion, res, ns, o.name), q, "application/apply-patch+yaml", o.body)
	if err != nil {
		return Result{}, annotate(err, op, o.kind, ns, o.name)
	}
	return Result{
		APIVersion: o.apiVersion, Kind: o.kind, Namespace: ns, Name: o.name, Resource: res.name,
		Object: body, Warnings: warnings(hdr),
	}, nil
}

// objectPath is the REST path of one object.
func objectPath(apiVersion string, res resourceInfo, namespace, name string) string {
	p := groupVersionPath(apiVersion)
	if namespace != "" {
		p += "/namespaces/" + url.PathEscape(namespace)
	}
	return p + "/" + res.name + "/" + url.PathEscape(name)
}

// groupVersionPath is /api/v1 for the core group, /apis/<group>/<version> otherwise.
func groupVersionPath(apiVersion string) string {
	if !strings.Contains(apiVersion, "/") {
		return "/api/" + apiVersion
	}
	return "/apis/" + apiVersion
}

// statusError is a non-2xx answer before it is tied to an object.
type statusError struct {
	code    int
	reason  string
	message string
	causes  []Cause
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.code, e.reason, e.message)
}

// annotate turns a server refusal into an *ObjectError naming the object and
// wraps any other error with the same context.
func annotate(err error, op, kind, namespace, name string) error {
	var se *statusError
	if errors.As(err, &se) {
		return &ObjectError{Op: op, Kind: kind, Namespace: namespace, Name: name,
			Code: se.code, Reason: se.reason, Message: se.message, Causes: se.causes}
	}
	return fmt.Errorf("%s %s: %w", op, objectRef(kind, namespace, name), err)
}

// request sends one API call and returns the body of a 2xx answer, or a
// *statusError carrying the server's Status.
func (c *Cluster) request(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) ([]byte, http.Header, error) {
	u := c.url + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return data, resp.Header, nil
	}
	var st struct {
		Kind    string `json:"kind"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
		Details struct {
			Causes []Cause `json:"causes"`
		} `json:"details"`
	}
	se := &statusError{code: resp.StatusCode}
	if json.Unmarshal(data, &st) == nil && st.Kind == "Status" {
		se.reason, se.message, se.causes = st.Reason, st.Message, st.Details.Causes
	} else {
		se.reason = http.StatusText(resp.StatusCode)
		se.message = strings.TrimSpace(string(data))
	}
	return nil, resp.Header, se
}

// warnings extracts the texts of Warning headers, `299 - "text"`.
func warnings(h http.Header) []string {
	var out []string
	for _, w := range h.Values("Warning") {
		_, text, ok := strings.Cut(w, " - ")
		if !ok {
			out = append(out, w)
			continue
		}
		if s, err := strconv.Unquote(strings.TrimSpace(text)); err == nil {
			text = s
		}
		out = append(out, text)
	}
	return out
}
