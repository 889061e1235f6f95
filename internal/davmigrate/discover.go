package davmigrate

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Kind is the kind of a collection.
type Kind string

const (
	AddressBook Kind = "addressbook"
	Calendar    Kind = "calendar"
)

func (k Kind) contentType() string {
	if k == Calendar {
		return "text/calendar; charset=utf-8"
	}
	return "text/vcard; charset=utf-8"
}

func (k Kind) ext() string {
	if k == Calendar {
		return ".ics"
	}
	return ".vcf"
}

// collection is an address book or calendar of one account.
type collection struct {
	kind        Kind
	name        string // last path segment: the key that pairs source and target
	url         *url.URL
	displayName string
	description string
	color       string   // Apple's calendar-color, calendars only
	order       string   // Apple's calendar-order, calendars only
	components  []string // supported-calendar-component-set, calendars only
	timezone    string   // calendar-timezone, calendars only
	owner       string   // ownCloud/Nextcloud owner-principal, when exposed
}

func (c *collection) label() string { return fmt.Sprintf("%s %q", c.kind, c.name) }

// account is what discovery found for one user on one server.
type account struct {
	principal *url.URL
	homes     map[Kind]*url.URL
	colls     []*collection // owned address books and calendars, sorted by kind then name
	skipped   []Skipped
}

var (
	propCurrentUserPrincipal = xml.Name{Space: nsDAV, Local: "current-user-principal"}
	propAddressbookHomeSet   = xml.Name{Space: nsCardDAV, Local: "addressbook-home-set"}
	propCalendarHomeSet      = xml.Name{Space: nsCalDAV, Local: "calendar-home-set"}
	propResourceType         = xml.Name{Space: nsDAV, Local: "resourcetype"}
	propDisplayName          = xml.Name{Space: nsDAV, Local: "displayname"}
	propGetETag              = xml.Name{Space: nsDAV, Local: "getetag"}
	propCalendarDescription  = xml.Name{Space: nsCalDAV, Local: "calendar-description"}
	propAddressbookDesc      = xml.Name{Space: nsCardDAV, Local: "addressbook-description"}
	propCalendarColor        = xml.Name{Space: nsApple, Local: "calendar-color"}
	propCalendarOrder        = xml.Name{Space: nsApple, Local: "calendar-order"}
	propSupportedComponents  = xml.Name{Space: nsCalDAV, Local: "supported-calendar-component-set"}
	propCalendarTimezone     = xml.Name{Space: nsCalDAV, Local: "calendar-timezone"}
	propOwnerPrincipal       = xml.Name{Space: nsOC, Local: "owner-principal"}
	propSubscriptionSource   = xml.Name{Space: nsCS, Local: "source"}
)

// discover finds the account's principal and home sets the standard way
// (RFC 5397 current-user-principal, RFC 6352 addressbook-home-set, RFC
// 4791 calendar-home-set), so that Nextcloud's layout
// (/remote.php/dav/principals/users/<user>/, /addressbooks/users/<user>/,
// /calendars/<user>/) and Radicale's (/<user>/ for all three) both work
// from the DAV root URL alone.
func discover(ctx context.Context, c *client, root *url.URL) (*account, error) {
	principal, err := findPrincipal(ctx, c, root)
	if err != nil {
		return nil, err
	}
	res, err := c.propfind(ctx, principal, "0", propAddressbookHomeSet, propCalendarHomeSet)
	if err != nil {
		return nil, fmt.Errorf("read the home sets of principal %s: %w", principal.Redacted(), err)
	}
	acc := &account{principal: principal, homes: map[Kind]*url.URL{}}
	for _, r := range res {
		if !sameResource(r.url, principal) {
			continue
		}
		for kind, p := range map[Kind]xml.Name{AddressBook: propAddressbookHomeSet, Calendar: propCalendarHomeSet} {
			if e := r.props[p]; e != nil {
				if hs := e.hrefs(); len(hs) > 0 {
					u, err := principal.Parse(hs[0])
					if err != nil {
						return nil, fmt.Errorf("%s: home set href %q: %w", c.name, hs[0], err)
					}
					acc.homes[kind] = u
				}
			}
		}
	}
	if len(acc.homes) == 0 {
		return nil, fmt.Errorf("%s: principal %s has neither an addressbook-home-set nor a calendar-home-set", c.name, principal.Redacted())
	}
	// Radicale has one home for both kinds: list it once.
	seen := map[string]bool{}
	for _, kind := range []Kind{AddressBook, Calendar} {
		home := acc.homes[kind]
		if home == nil || seen[home.Path] {
			continue
		}
		seen[home.Path] = true
		if err := acc.list(ctx, c, home); err != nil {
			return nil, err
		}
	}
	sort.Slice(acc.colls, func(i, j int) bool {
		if acc.colls[i].kind != acc.colls[j].kind {
			return acc.colls[i].kind < acc.colls[j].kind
		}
		return acc.colls[i].name < acc.colls[j].name
	})
	return acc, nil
}

// findPrincipal asks the given URL, then the well-known URLs of RFC 6764
// on the same host, for the current user's principal.
func findPrincipal(ctx context.Context, c *client, root *url.URL) (*url.URL, error) {
	tries := []*url.URL{root}
	for _, wk := range []string{"/.well-known/carddav", "/.well-known/caldav"} {
		u := *root
		u.Path, u.RawPath, u.RawQuery = wk, "", ""
		tries = append(tries, &u)
	}
	var errs []error
	for _, u := range tries {
		res, err := c.propfind(ctx, u, "0", propCurrentUserPrincipal)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			errs = append(errs, err)
			// Wrong credentials stay wrong on every URL.
			if st := statusOf(err); st == 401 || st == 403 {
				break
			}
			continue
		}
		for _, r := range res {
			if e := r.props[propCurrentUserPrincipal]; e != nil {
				if hs := e.hrefs(); len(hs) > 0 {
					p, err := r.url.Parse(hs[0])
					if err != nil {
						return nil, fmt.Errorf("%s: principal href %q: %w", c.name, hs[0], err)
					}
					return p, nil
				}
			}
		}
		errs = append(errs, fmt.Errorf("%s: %s names no current-user-principal", c.name, u.Redacted()))
	}
	return nil, fmt.Errorf("%s: find the current user's principal from %s: %w", c.name, root.Redacted(), errors.Join(errs...))
}

// list reads the collections of one home set.
func (acc *account) list(ctx context.Context, c *client, home *url.URL) error {
	res, err := c.propfind(ctx, home, "1", propResourceType, propDisplayName, propCalendarDescription, propAddressbookDesc,
		propCalendarColor, propCalendarOrder, propSupportedComponents, propCalendarTimezone, propOwnerPrincipal, propSubscriptionSource)
	if err != nil {
		return fmt.Errorf("list the collections of %s: %w", home.Redacted(), err)
	}
	for _, r := range res {
		if sameResource(r.url, home) {
			continue
		}
		rt := r.prop(nsDAV, "resourcetype")
		if rt == nil {
			continue
		}
		col := &collection{name: baseName(r.url), url: r.url, displayName: r.text(nsDAV, "displayname"), owner: hrefOrText(r.prop(nsOC, "owner-principal"))}
		switch {
		case rt.has(nsCardDAV, "addressbook"):
			col.kind = AddressBook
			col.description = r.text(nsCardDAV, "addressbook-description")
		case rt.has(nsCalDAV, "calendar"):
			col.kind = Calendar
			col.description = r.text(nsCalDAV, "calendar-description")
			col.color = r.text(nsApple, "calendar-color")
			col.order = r.text(nsApple, "calendar-order")
			col.timezone = r.text(nsCalDAV, "calendar-timezone")
			if set := r.prop(nsCalDAV, "supported-calendar-component-set"); set != nil {
				for _, comp := range set.Children {
					for _, a := range comp.Attrs {
						if a.Name.Local == "name" {
							col.components = append(col.components, a.Value)
						}
					}
				}
			}
		case rt.has(nsCS, "subscribed"):
			// A subscription is a URL the server polls, not data: the user
			// subscribes again on the new cloud.
			acc.skipped = append(acc.skipped, Skipped{Kind: Calendar, Name: baseName(r.url), DisplayName: col.displayName,
				Reason: "subscription to " + hrefOrText(r.prop(nsCS, "source")) + ": subscribe again on the target"})
			continue
		default:
			// Scheduling inbox/outbox, Nextcloud's trash bin, plain folders.
			continue
		}
		if reason := skipReason(col, acc.principal); reason != "" {
			acc.skipped = append(acc.skipped, Skipped{Kind: col.kind, Name: col.name, DisplayName: col.displayName, Reason: reason})
			continue
		}
		acc.colls = append(acc.colls, col)
	}
	return nil
}

// hrefOrText is a property given either as a DAV:href (RFC 4918 style)
// or as plain text (Nextcloud's owner-principal).
func hrefOrText(e *elem) string {
	if e == nil {
		return ""
	}
	if hs := e.hrefs(); len(hs) > 0 {
		return hs[0]
	}
	return strings.TrimSpace(e.Text)
}

// skipReason says why a collection is not the user's own data to copy:
// Nextcloud generates some collections itself and lists other users'
// shares in the same home.
func skipReason(c *collection, principal *url.URL) string {
	switch {
	case strings.HasPrefix(c.name, "z-server-generated--"), strings.HasPrefix(c.name, "z-app-generated--"), strings.HasPrefix(c.name, "app-generated--"):
		return "generated by Nextcloud (system address book, recently contacted, app calendars)"
	case c.kind == Calendar && c.name == "contact_birthdays":
		return "generated by Nextcloud from the address books"
	case c.owner != "" && !isPrincipal(c.owner, principal):
		return "shared by " + c.owner + ": migrate it with its owner's credentials"
	}
	return ""
}

// isPrincipal compares an owner-principal, which Nextcloud gives as
// "principals/users/<user>" (no leading path), with the principal URL.
func isPrincipal(owner string, principal *url.URL) bool {
	o := owner
	if u, err := url.Parse(owner); err == nil {
		o = u.Path
	}
	o = strings.Trim(o, "/")
	p := strings.Trim(principal.Path, "/")
	return o != "" && (p == o || strings.HasSuffix(p, "/"+o))
}
