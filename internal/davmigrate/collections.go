package davmigrate

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// targetCollection finds the target collection paired with sc (same
// kind, same name) or creates it; on an existing one it fills in the
// properties the target lacks and keeps the ones it has.
func (m *migration) targetCollection(ctx context.Context, sc *collection, ta *account, cr *CollectionReport) (*collection, error) {
	for _, tc := range ta.colls {
		if tc.name != sc.name {
			continue
		}
		if tc.kind != sc.kind && sameResource(ta.homes[tc.kind], ta.homes[sc.kind]) {
			return nil, fmt.Errorf("the target has a %s of that name in the same home", tc.kind)
		}
		if tc.kind == sc.kind {
			return tc, m.fillProps(ctx, sc, tc, cr)
		}
	}
	home := ta.homes[sc.kind]
	if home == nil {
		return nil, fmt.Errorf("the target has no %s home set", sc.kind)
	}
	tc := &collection{kind: sc.kind, name: sc.name, url: member(home, sc.name, true)}
	props := collectionProps(sc)
	set, err := m.create(ctx, tc, props)
	if err != nil && isPropRefusal(err) {
		// Servers refuse the whole creation for one property they do not
		// store (sabre/Nextcloud: "Unknown property"): try again with
		// the display name (and components) alone.
		first := err
		minimal := props[:0:0]
		for _, p := range props {
			if p.name == "displayname" || p.name == "supported-calendar-component-set" {
				minimal = append(minimal, p)
			}
		}
		set, err = m.create(ctx, tc, minimal)
		if err == nil {
			cr.Notes = append(cr.Notes, fmt.Sprintf("created without %s: %v", strings.Join(missingProps(props, minimal), ", "), first))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create on the target: %w", err)
	}
	cr.Created, cr.PropsSet = true, set
	ta.colls = append(ta.colls, tc)
	return tc, nil
}

// davProp is one property to set, as XML.
type davProp struct {
	name string // local name, for reports
	xml  string
}

// collectionProps are the properties worth keeping: display name and
// description, and for calendars colour, order, components and time
// zone, which both Radicale and Nextcloud store.
func collectionProps(c *collection) []davProp {
	var ps []davProp
	if c.displayName != "" {
		ps = append(ps, davProp{"displayname", "<D:displayname>" + xmlText(c.displayName) + "</D:displayname>"})
	}
	if c.kind == AddressBook {
		if c.description != "" {
			ps = append(ps, davProp{"addressbook-description", "<CR:addressbook-description>" + xmlText(c.description) + "</CR:addressbook-description>"})
		}
		return ps
	}
	if c.description != "" {
		ps = append(ps, davProp{"calendar-description", "<C:calendar-description>" + xmlText(c.description) + "</C:calendar-description>"})
	}
	if c.color != "" {
		ps = append(ps, davProp{"calendar-color", "<I:calendar-color>" + xmlText(c.color) + "</I:calendar-color>"})
	}
	if c.order != "" {
		ps = append(ps, davProp{"calendar-order", "<I:calendar-order>" + xmlText(c.order) + "</I:calendar-order>"})
	}
	if len(c.components) > 0 {
		var b strings.Builder
		b.WriteString("<C:supported-calendar-component-set>")
		for _, comp := range c.components {
			fmt.Fprintf(&b, `<C:comp name="%s"/>`, xmlText(comp))
		}
		b.WriteString("</C:supported-calendar-component-set>")
		ps = append(ps, davProp{"supported-calendar-component-set", b.String()})
	}
	if c.timezone != "" {
		ps = append(ps, davProp{"calendar-timezone", "<C:calendar-timezone>" + xmlText(c.timezone) + "</C:calendar-timezone>"})
	}
	return ps
}

const nsDecl = `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:I="http://apple.com/ns/ical/"`

// create makes the collection: MKCALENDAR (RFC 4791) for a calendar,
// extended MKCOL (RFC 5689) for an address book.
func (m *migration) create(ctx context.Context, tc *collection, props []davProp) ([]string, error) {
	var b strings.Builder
	method := "MKCOL"
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	if tc.kind == Calendar {
		method = "MKCALENDAR"
		b.WriteString(`<C:mkcalendar ` + nsDecl + `><D:set><D:prop>`)
	} else {
		b.WriteString(`<D:mkcol ` + nsDecl + `><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>`)
	}
	var names []string
	for _, p := range props {
		b.WriteString(p.xml)
		names = append(names, p.name)
	}
	if tc.kind == Calendar {
		b.WriteString(`</D:prop></D:set></C:mkcalendar>`)
	} else {
		b.WriteString(`</D:prop></D:set></D:mkcol>`)
	}
	r, err := m.tgt.do(ctx, method, tc.url, map[string]string{"Content-Type": "application/xml; charset=utf-8"}, []byte(b.String()))
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusCreated && !r.ok() {
		return nil, m.tgt.httpError(method, tc.url, r)
	}
	return names, nil
}

// isPropRefusal tells a refused property (400, 403, 422, 424: the
// server stores no such property) from other failures.
func isPropRefusal(err error) bool {
	switch statusOf(err) {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusFailedDependency, http.StatusConflict:
		return true
	}
	return false
}

func missingProps(all, kept []davProp) []string {
	var out []string
	for _, p := range all {
		found := false
		for _, k := range kept {
			found = found || k.name == p.name
		}
		if !found {
			out = append(out, p.name)
		}
	}
	return out
}

// fillProps sets on an existing target collection the display name,
// description, colour and order it lacks. Values the target already has
// are the user's or the server's choice: kept, and noted when they
// differ.
func (m *migration) fillProps(ctx context.Context, sc, tc *collection, cr *CollectionReport) error {
	src, tgt := collectionProps(sc), collectionProps(tc)
	have := map[string]string{}
	for _, p := range tgt {
		have[p.name] = p.xml
	}
	var set []davProp
	for _, p := range src {
		switch p.name {
		case "supported-calendar-component-set", "calendar-timezone":
			// Not changeable on a calendar after creation (RFC 4791 5.2.3).
			continue
		}
		v, ok := have[p.name]
		switch {
		case !ok:
			set = append(set, p)
		case v != p.xml:
			cr.Notes = append(cr.Notes, "target keeps its own "+p.name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:propertyupdate ` + nsDecl + `><D:set><D:prop>`)
	for _, p := range set {
		b.WriteString(p.xml)
	}
	b.WriteString(`</D:prop></D:set></D:propertyupdate>`)
	r, err := m.tgt.do(ctx, "PROPPATCH", tc.url, map[string]string{"Content-Type": "application/xml; charset=utf-8"}, []byte(b.String()))
	if err != nil {
		return fmt.Errorf("set properties on the target: %w", err)
	}
	if !r.ok() {
		// Cosmetic: the data still moves.
		cr.Notes = append(cr.Notes, fmt.Sprintf("target refused the properties: %v", m.tgt.httpError("PROPPATCH", tc.url, r)))
		return nil
	}
	res, err := parseMultistatus(r.url, r.body)
	if err == nil && r.status == http.StatusMultiStatus {
		ok := map[string]bool{}
		for _, x := range res {
			for n := range x.props {
				ok[n.Local] = true
			}
		}
		for _, p := range set {
			if ok[p.name] {
				cr.PropsSet = append(cr.PropsSet, p.name)
			} else {
				cr.Notes = append(cr.Notes, "target refused "+p.name)
			}
		}
		return nil
	}
	for _, p := range set {
		cr.PropsSet = append(cr.PropsSet, p.name)
	}
	return nil
}
