package kubeharness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// resourceInfo is what discovery says about one kind.
type resourceInfo struct {
	name       string // plural resource, the path segment
	namespaced bool
}

// crdWaitTimeout bounds ApplyCRDs' wait when the caller's context has no
// earlier deadline; establishing a CRD normally takes well under a second.
const crdWaitTimeout = 2 * time.Minute

// lookup maps apiVersion and kind to a resource. A miss refreshes that
// group-version from the server once, since CRDs add kinds at any time.
func (c *Cluster) lookup(ctx context.Context, apiVersion, kind string) (resourceInfo, error) {
	c.mu.Lock()
	res, ok := c.discovery[apiVersion][kind]
	c.mu.Unlock()
	if ok {
		return res, nil
	}
	kinds, err := c.discover(ctx, apiVersion)
	if err != nil {
		return resourceInfo{}, err
	}
	if res, ok := kinds[kind]; ok {
		return res, nil
	}
	return resourceInfo{}, fmt.Errorf("the server has no kind %s in %s (is its CRD loaded?)", kind, apiVersion)
}

// discover fetches the resources of one group-version and caches them.
func (c *Cluster) discover(ctx context.Context, apiVersion string) (map[string]resourceInfo, error) {
	body, _, err := c.request(ctx, http.MethodGet, groupVersionPath(apiVersion), nil, "", nil)
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return nil, fmt.Errorf("the server does not serve %s (is its CRD loaded?)", apiVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", apiVersion, err)
	}
	var list struct {
		Resources []struct {
			Name       string `json:"name"`
			Kind       string `json:"kind"`
			Namespaced bool   `json:"namespaced"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("discover %s: %w", apiVersion, err)
	}
	kinds := map[string]resourceInfo{}
	for _, r := range list.Resources {
		if strings.Contains(r.Name, "/") {
			continue // a subresource such as deployments/scale
		}
		kinds[r.Kind] = resourceInfo{name: r.Name, namespaced: r.Namespaced}
	}
	c.mu.Lock()
	c.discovery[apiVersion] = kinds
	c.mu.Unlock()
	return kinds, nil
}

// ApplyCRDs server-side applies every *.yaml and *.yml file in dir and waits
// until each CustomResourceDefinition among them is Established and its kind
// is served by discovery, so that Apply can use it right away.
func (c *Cluster) ApplyCRDs(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read CRD dir: %w", err)
	}
	var names []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read CRD file: %w", err)
		}
		results, err := c.Apply(ctx, data, ApplyOptions{})
		if err != nil {
			return fmt.Errorf("apply %s: %w", path, err)
		}
		for _, r := range results {
			if r.Kind == "CustomResourceDefinition" {
				names = append(names, r.Name)
			}
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no CustomResourceDefinition in %s", dir)
	}
	ctx, cancel := context.WithTimeout(ctx, crdWaitTimeout)
	defer cancel()
	return c.waitCRDs(ctx, names)
}

// crdState is the part of a CustomResourceDefinition the wait looks at.
type crdState struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
		} `json:"versions"`
	} `json:"spec"`
	Status struct {
		Conditions []struct {
			Type    string `json:"type"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"conditions"`
	} `json:"status"`
}

// waitCRDs polls until every named CRD is ready or ctx ends.
func (c *Cluster) waitCRDs(ctx context.Context, names []string) error {
	pending := slices.Clone(names)
	last := map[string]string{} // name -> why it is not ready yet
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		var still []string
		for _, name := range pending {
			ready, why, err := c.crdReady(ctx, name)
			if err != nil {
				return err
			}
			if !ready {
				still = append(still, name)
				last[name] = why
			}
		}
		if pending = still; len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			var parts []string
			for _, n := range pending {
				parts = append(parts, n+": "+last[n])
			}
			return fmt.Errorf("CRDs not ready: %w: %s", ctx.Err(), strings.Join(parts, "; "))
		case <-tick.C:
		}
	}
}

// crdReady reports whether a CRD is Established and discovered. A rejected
// name is an error, since waiting would not fix it.
func (c *Cluster) crdReady(ctx context.Context, name string) (bool, string, error) {
	body, err := c.Get(ctx, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)
	if err != nil {
		return false, "", fmt.Errorf("wait for CRD %s: %w", name, err)
	}
	var crd crdState
	if err := json.Unmarshal(body, &crd); err != nil {
		return false, "", fmt.Errorf("wait for CRD %s: %w", name, err)
	}
	established := false
	for _, cond := range crd.Status.Conditions {
		switch {
		case cond.Type == "NamesAccepted" && cond.Status == "False":
			return false, "", fmt.Errorf("CRD %s: names not accepted: %s", name, cond.Message)
		case cond.Type == "Established" && cond.Status == "True":
			established = true
		}
	}
	if !established {
		return false, "not Established", nil
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gv := crd.Spec.Group + "/" + v.Name
		kinds, err := c.discover(ctx, gv)
		if err != nil {
			return false, err.Error(), nil
		}
		if _, ok := kinds[crd.Spec.Names.Kind]; !ok {
			return false, fmt.Sprintf("discovery of %s does not list %s yet", gv, crd.Spec.Names.Kind), nil
		}
	}
	return true, "", nil
}

// APIVersions lists what the server's discovery serves, as Helm builds
// .Capabilities.APIVersions from a cluster: every group/version, and every
// group/version/Kind ("v1/Pod" for the core group).
func (c *Cluster) APIVersions(ctx context.Context) ([]string, error) {
	var gvs []string
	body, _, err := c.request(ctx, http.MethodGet, "/api", nil, "", nil)
	if err != nil {
		return nil, fmt.Errorf("discover /api: %w", err)
	}
	var core struct {
		Versions []string `json:"versions"`
	}
	if err := json.Unmarshal(body, &core); err != nil {
		return nil, fmt.Errorf("discover /api: %w", err)
	}
	gvs = append(gvs, core.Versions...)
	body, _, err = c.request(ctx, http.MethodGet, "/apis", nil, "", nil)
	if err != nil {
		return nil, fmt.Errorf("discover /apis: %w", err)
	}
	var groups struct {
		Groups []struct {
			Versions []struct {
				GroupVersion string `json:"groupVersion"`
			} `json:"versions"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(body, &groups); err != nil {
		return nil, fmt.Errorf("discover /apis: %w", err)
	}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			gvs = append(gvs, v.GroupVersion)
		}
	}
	var out []string
	for _, gv := range gvs {
		kinds, err := c.discover(ctx, gv)
		if err != nil {
			return nil, err
		}
		out = append(out, gv)
		for k := range kinds {
			out = append(out, gv+"/"+k)
		}
	}
	slices.Sort(out)
	return out, nil
}
