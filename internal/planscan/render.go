package planscan

import (
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"

	"fullfrontend.be/infra/internal/chartrender"
)

// RenderRequest is the chartrender request of a release: its real chart from
// repoDir, rendered against apis (nil: chartrender's defaults).
func RenderRequest(repoDir string, apis []string, rel Release) chartrender.Request {
	return chartrender.Request{RepoDir: repoDir, Chart: ChartName(rel.Chart), Version: rel.Version,
		Name: rel.Name, Namespace: rel.Namespace, Values: rel.Values, APIVersions: apis}
}

// RenderRelease renders a release as the helm provider will at install and
// returns its objects as manifests addressed "<release address> <template>".
func RenderRelease(r *chartrender.Renderer, req chartrender.Request, rel Release) ([]Manifest, error) {
	objs, err := r.Render(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel.Address, err)
	}
	out := make([]Manifest, 0, len(objs))
	for _, o := range objs {
		body, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", rel.Address, o.Template, err)
		}
		out = append(out, Manifest{Address: rel.Address + " " + o.Template, YAML: string(body), Object: o.Object, Release: rel.Address, ReleaseNamespace: rel.Namespace})
	}
	return out, nil
}

// RenderAll adds to p.Rendered the objects of every release whose inputs are
// known at plan (Uncounted names the others).
func (p *Plan) RenderAll(r *chartrender.Renderer, repoDir string, apis []string) error {
	var errs []error
	for _, rel := range p.Releases {
		if len(rel.Unknown) > 0 {
			continue
		}
		ms, err := RenderRelease(r, RenderRequest(repoDir, apis, rel), rel)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Rendered = append(p.Rendered, ms...)
	}
	return errors.Join(errs...)
}
