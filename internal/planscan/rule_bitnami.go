package planscan

// Rule: no Bitnami chart, subchart or image (the seed forbids them: paid licence).

import (
	"fmt"
	"regexp"
	"strings"
)

// bitnamiImageRef matches a whole string that is an image or chart
// reference in a Bitnami namespace: bitnami/redis:7, docker.io/bitnami/x,
// bitnamilegacy/os-shell, registry-1.docker.io/bitnamicharts/redis.
var bitnamiImageRef = regexp.MustCompile(`(?i)^(oci://)?([a-z0-9.-]+(:[0-9]+)?/)?bitnami(legacy|charts|secure)?/[a-z0-9._/-]+(:[\w.-]+)?(@sha256:[a-f0-9]+)?$`)

// imageKeys are value keys that hold an image or where to pull it from.
var imageKeys = map[string]bool{"image": true, "repository": true, "registry": true, "imageRegistry": true}

// isBitnamiString reports whether s, found under key, names a Bitnami
// image or chart. Only image-like keys are matched loosely (any mention of
// bitnami); elsewhere the whole string must be an image reference, so that
// prose or paths such as /opt/bitnami in a script are not flagged.
func isBitnamiString(key, s string) bool {
	if imageKeys[key] || strings.HasSuffix(strings.ToLower(key), "image") {
		return strings.Contains(strings.ToLower(s), "bitnami")
	}
	return bitnamiImageRef.MatchString(s)
}

// BitnamiInRelease flags a Bitnami chart, a Bitnami image anywhere in the
// release's values, and a Bitnami subchart left enabled (by the values or by
// the chart's defaults: mailu enables its Bitnami redis by default).
func BitnamiInRelease(chartsDir string, r Release) []Problem {
	var out []Problem
	if strings.Contains(strings.ToLower(r.Repository+" "+r.Chart), "bitnami") {
		out = append(out, Problem{Address: r.Address, Message: fmt.Sprintf("Bitnami chart (%s %s) is forbidden", r.Repository, r.Chart)})
	}
	walkStrings("", "", r.Values, func(p, key, s string) {
		if isBitnamiString(key, s) {
			out = append(out, Problem{Address: r.Address, Path: p, Message: fmt.Sprintf("Bitnami image %q is forbidden", s)})
		}
	})
	c, err := LoadChart(chartsDir, ChartName(r.Chart), r.Version)
	if err != nil {
		return out // CheckValues reports the missing offline copy
	}
	effective := coalesce(c.Defaults, r.Values)
	for _, d := range c.Dependencies {
		if strings.Contains(strings.ToLower(d.Repository), "bitnami") && d.Enabled(effective) {
			out = append(out, Problem{Address: r.Address, Path: d.Condition, Message: fmt.Sprintf(
				"Bitnami subchart %s (%s) is enabled: set %s to false and use our own service", d.Name, d.Repository, conditionPath(d))})
		}
	}
	return out
}

func conditionPath(d Dependency) string {
	if d.Condition == "" {
		return d.Key() + ".enabled (the chart has no condition: it cannot be turned off)"
	}
	return strings.TrimSpace(strings.Split(d.Condition, ",")[0])
}

// BitnamiInManifest flags Bitnami images anywhere in an object we write.
func BitnamiInManifest(m Manifest) []Problem {
	var out []Problem
	walkStrings("", "", m.Object, func(p, key, s string) {
		if isBitnamiString(key, s) {
			out = append(out, Problem{Address: m.Address, Path: p, Message: fmt.Sprintf("Bitnami image %q is forbidden", s)})
		}
	})
	return out
}
