package planscan

// Rule: every image is pinned to a tag or digest, never latest.

import (
	"fmt"
	"strings"
)

// imageRef is a parsed image reference.
type imageRef struct{ name, tag, digest string }

// parseImage splits [registry[:port]/]path[:tag][@digest].
func parseImage(s string) imageRef {
	var r imageRef
	if i := strings.Index(s, "@"); i >= 0 {
		s, r.digest = s[:i], s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, r.tag = s[:i], s[i+1:]
	}
	r.name = s
	return r
}

// unpinnedReason says why an image is not pinned, or "" when it is.
func (r imageRef) unpinnedReason() string {
	switch {
	case r.digest != "":
		return ""
	case r.tag == "":
		return "has no tag (it means latest)"
	case strings.EqualFold(r.tag, "latest"):
		return "uses the tag latest"
	}
	return ""
}

// UnpinnedImagesInRelease flags images in the release's values that are not
// pinned: an image object ({repository, tag}, {registry, repository, tag},
// {image, tag}) whose tag is latest, or an image string with tag latest or
// no tag at all. An empty or absent tag in an image object is allowed: the
// chart then uses its appVersion, which the pinned chart version fixes.
func UnpinnedImagesInRelease(r Release) []Problem {
	var out []Problem
	walkMaps("", r.Values, func(p string, m map[string]any) bool {
		if tag, ok := m["tag"]; ok && isTagValue(tag) {
			out = append(out, imageObjectProblems(r.Address, p, m, tag)...)
			return false
		}
		if s, ok := m["image"].(string); ok && s != "" {
			if why := parseImage(s).unpinnedReason(); why != "" {
				out = append(out, Problem{Address: r.Address, Path: joinPath(p, "image"), Message: fmt.Sprintf("image %q %s", s, why)})
			}
		}
		return true
	})
	return out
}

// isTagValue reports whether a `tag` key holds what an image tag can be
// (a string, or null for "the chart's appVersion"), which makes its map an
// image object.
func isTagValue(v any) bool {
	switch v.(type) {
	case nil, string:
		return true
	}
	return false
}

func imageObjectProblems(address, at string, m map[string]any, tag any) []Problem {
	if d, _ := m["digest"].(string); d != "" {
		return nil
	}
	if d, _ := m["sha"].(string); d != "" { // kube-prometheus-stack's name for the digest
		return nil
	}
	t, _ := tag.(string)
	if strings.EqualFold(t, "latest") {
		return []Problem{{Address: address, Path: joinPath(at, "tag"), Message: "image tag latest is not pinned"}}
	}
	if repo, _ := m["repository"].(string); t == "" && strings.EqualFold(parseImage(repo).tag, "latest") {
		return []Problem{{Address: address, Path: joinPath(at, "repository"), Message: fmt.Sprintf("image %q uses the tag latest", repo)}}
	}
	return nil
}

// UnpinnedImagesInManifest flags every container and init container whose
// image has no tag, the tag latest, and no digest.
func UnpinnedImagesInManifest(m Manifest) []Problem {
	var out []Problem
	forEachContainer(m, func(p string, c map[string]any) {
		img, _ := c["image"].(string)
		if img == "" {
			out = append(out, Problem{Address: m.Address, Path: joinPath(p, "image"), Message: fmt.Sprintf("container %s has no image", str(c, "name"))})
			return
		}
		if why := parseImage(img).unpinnedReason(); why != "" {
			out = append(out, Problem{Address: m.Address, Path: joinPath(p, "image"),
				Message: fmt.Sprintf("container %s: image %q %s", str(c, "name"), img, why)})
		}
	})
	return out
}
