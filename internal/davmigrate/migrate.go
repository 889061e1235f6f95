// Package davmigrate copies one user's address books and calendars from
// one CardDAV/CalDAV server to another (infra migrate dav): from
// Mail-in-a-Box's Nextcloud (https://<box>/cloud/remote.php/dav/) to the
// cluster's Nextcloud (https://cloud.<root>/remote.php/dav/), with that
// user's credentials (app passwords) on each side.
//
// Collections are found the standard way (current-user-principal, then
// addressbook-home-set and calendar-home-set) and paired by name; missing
// ones are created on the target (extended MKCOL, MKCALENDAR) with their
// display name, description, colour, order and components. Items are
// paired by resource name, else by UID. Not copied, and reported:
// collections Nextcloud generates (system address book, recently
// contacted, contact birthdays, app calendars such as Deck's), other
// users' shares (owner-principal not the user: they move with their
// owner) and calendar subscriptions (a URL to subscribe to again). The
// source is only read: its client refuses every writing method.
//
// The rule for an item that already exists on the target:
//   - target as the last run left it, source unchanged: nothing to do;
//   - target as the last run left it, source changed: the source version
//     replaces it (updated);
//   - target changed since the last run, source unchanged: the target's
//     version is kept (a user edited it on the new cloud);
//   - otherwise, when the contents differ (both changed, or the item was
//     on the target before any run): the source wins and is reported as
//     an overwrite.
//
// Every replaced target version is first saved under the state directory
// (backups/<time>/<kind>/<collection>/<name>), so no rule loses data.
// Items deleted on the source are never deleted on the target.
//
// The journal (state directory) remembers which source version went to
// which target version; it is written after each item, so an interrupted
// run resumes where it stopped and a second run copies nothing. Without
// it (lost state directory), items are compared by content, in a
// canonical form, and equal ones are left alone.
//
// Counts are taken per collection on the source before and on the target
// after; a source item missing on the target fails the run and names the
// collection.
package davmigrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Endpoint is one account on one server.
type Endpoint struct {
	// URL is the DAV root, e.g. https://<box>/cloud/remote.php/dav/ on
	// Mail-in-a-Box or https://cloud.<root>/remote.php/dav/ on the
	// cluster; a principal or the server's root (with RFC 6764 well-known
	// redirects) works too.
	URL            string
	User, Password string
}

// MailInABoxURL is the DAV root of Mail-in-a-Box's Nextcloud.
func MailInABoxURL(box string) string { return "https://" + box + "/cloud/remote.php/dav/" }

// NextcloudURL is the DAV root of a Nextcloud served at the root of host.
func NextcloudURL(host string) string { return "https://" + host + "/remote.php/dav/" }

// Options of one run, for one user.
type Options struct {
	Source, Target Endpoint
	// StateDir holds the journal (one file per pair of accounts) and the
	// backups of replaced target items. Required.
	StateDir string
	Out      io.Writer // progress lines; nil: discarded
	// HTTPClient is used for both servers; nil: a client with a 2-minute
	// timeout per request.
	HTTPClient *http.Client
	// BatchSize is the number of items fetched per multiget; 0: 50.
	BatchSize int
}

// Report is the outcome of a run.
type Report struct {
	Collections []CollectionReport
	Skipped     []Skipped // source collections not copied, and why
	Journal     string    // path of the journal file
}

// CollectionReport is the outcome for one collection.
type CollectionReport struct {
	Kind        Kind
	Name        string // resource name, the same on both servers
	DisplayName string
	Created     bool     // made on the target by this run
	PropsSet    []string // properties written on the target (creation or filled in)
	Notes       []string // properties the target refused or keeps different

	Source int // items on the source (before)
	Target int // items on the target (after); valid when Checked
	// Checked: the target was listed after the copy and every source item
	// found there.
	Checked bool
	Extra   int // target items that match no source item (kept)

	Copied      int // new on the target
	Updated     int // replaced: the source changed since the last run
	Overwritten int // replaced: the target held other content (see Overwrites)
	KeptTarget  int // target edited since the last run, source unchanged
	Unchanged   int

	Overwrites []Overwrite // every replaced target item, with its backup
	Missing    []string    // source items not on the target after the run
	Duration   time.Duration
	Err        error
}

// Overwrite is one target item that the source replaced.
type Overwrite struct {
	Name   string // target resource name
	Reason string
	Backup string // file holding the target's previous version
}

// Skipped is a source collection that is not copied.
type Skipped struct {
	Kind              Kind
	Name, DisplayName string
	Reason            string
}

// Written is the number of items written to the target (copied, updated
// or overwritten), all collections.
func (r Report) Written() (n int) {
	for _, c := range r.Collections {
		n += c.Copied + c.Updated + c.Overwritten
	}
	return n
}

type migration struct {
	o        Options
	src, tgt *client
	jr       *journal
	batch    int
}

func (m *migration) logf(format string, args ...any) {
	fmt.Fprintf(m.o.Out, "migrate dav: "+format+"\n", args...)
}

// Run copies the source account's address books and calendars to the
// target account, prints a line per collection, and fails when a
// collection's counts differ or an item could not be copied. The report
// holds what was done, also when it fails or is interrupted (ctx).
func Run(ctx context.Context, o Options) (rep Report, err error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	srcURL, err := parseEndpoint("source", o.Source)
	if err != nil {
		return rep, err
	}
	tgtURL, err := parseEndpoint("target", o.Target)
	if err != nil {
		return rep, err
	}
	if sameResource(srcURL, tgtURL) && o.Source.User == o.Target.User {
		return rep, errors.New("source and target are the same account")
	}
	m := &migration{o: o, batch: o.BatchSize,
		src: newClient("source", o.Source, o.HTTPClient, true),
		tgt: newClient("target", o.Target, o.HTTPClient, false)}
	if m.batch <= 0 {
		m.batch = 50
	}
	m.jr, err = openJournal(o.StateDir, o.Source, o.Target)
	if err != nil {
		return rep, err
	}
	rep.Journal = m.jr.Path
	defer func() {
		if cerr := m.jr.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()

	sa, err := discover(ctx, m.src, srcURL)
	if err != nil {
		return rep, fmt.Errorf("discover the source collections: %w", err)
	}
	ta, err := discover(ctx, m.tgt, tgtURL)
	if err != nil {
		return rep, fmt.Errorf("discover the target collections: %w", err)
	}
	rep.Skipped = sa.skipped
	m.logf("%s on %s: %s; target %s on %s", o.Source.User, srcURL.Host, countKinds(sa.colls), o.Target.User, tgtURL.Host)
	for _, s := range sa.skipped {
		m.logf("%s %q (%s) skipped: %s", s.Kind, s.Name, s.DisplayName, s.Reason)
	}

	var errs []error
	for _, sc := range sa.colls {
		cr := m.collection(ctx, sc, ta)
		rep.Collections = append(rep.Collections, cr)
		if cr.Err != nil {
			if ctx.Err() != nil {
				return rep, fmt.Errorf("interrupted: %w", cr.Err)
			}
			errs = append(errs, cr.Err)
		}
	}
	var items, copied int
	for _, c := range rep.Collections {
		items += c.Source
		copied += c.Copied + c.Updated + c.Overwritten
	}
	if err := errors.Join(errs...); err != nil {
		m.logf("FAILED: %d of %d collections; %d items written", len(errs), len(rep.Collections), copied)
		return rep, err
	}
	m.logf("done: %d collections, %d items, %d written; journal %s", len(rep.Collections), items, copied, m.jr.Path)
	return rep, nil
}

func parseEndpoint(side string, e Endpoint) (*url.URL, error) {
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s URL %q: want https://host/path", side, e.URL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		// The app password would cross the network in clear.
		return nil, fmt.Errorf("%s URL %q: plain http only to this machine (127.0.0.1, localhost); use https", side, e.URL)
	}
	if e.User == "" {
		return nil, fmt.Errorf("%s user not set", side)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func countKinds(cs []*collection) string {
	n := map[Kind]int{}
	for _, c := range cs {
		n[c.kind]++
	}
	return plural(n[AddressBook], "address book") + ", " + plural(n[Calendar], "calendar")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// item is a member of a collection, as listed.
type item struct {
	name string
	url  *url.URL
	etag string
}

// listItems lists the objects of a collection with their ETags.
func listItems(ctx context.Context, c *client, coll *url.URL) (map[string]item, error) {
	res, err := c.propfind(ctx, coll, "1", propGetETag, propResourceType)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", coll.Redacted(), err)
	}
	out := map[string]item{}
	for _, r := range res {
		if sameResource(r.url, coll) {
			continue
		}
		if rt := r.prop(nsDAV, "resourcetype"); rt != nil && rt.has(nsDAV, "collection") {
			continue
		}
		if r.status != 0 && (r.status < 200 || r.status > 299) {
			continue
		}
		out[baseName(r.url)] = item{name: baseName(r.url), url: r.url, etag: r.text(nsDAV, "getetag")}
	}
	return out, nil
}

// fetched is an item's data from a multiget.
type fetched struct {
	etag string
	data string
}

// fetch multigets items of a collection, in batches; it fails when one
// is missing, since it was listed moments before.
func (m *migration) fetch(ctx context.Context, c *client, k Kind, coll *url.URL, items []item) (map[string]fetched, error) {
	out := map[string]fetched{}
	for start := 0; start < len(items); start += m.batch {
		end := min(start+m.batch, len(items))
		hrefs := make([]*url.URL, 0, end-start)
		for _, it := range items[start:end] {
			hrefs = append(hrefs, it.url)
		}
		res, err := c.multiget(ctx, coll, k, hrefs)
		if err != nil {
			return nil, err
		}
		dataProp := "address-data"
		ns := nsCardDAV
		if k == Calendar {
			ns, dataProp = nsCalDAV, "calendar-data"
		}
		for _, r := range res {
			d := r.prop(ns, dataProp)
			if d == nil {
				continue
			}
			out[baseName(r.url)] = fetched{etag: r.text(nsDAV, "getetag"), data: d.Text}
		}
		for _, it := range items[start:end] {
			if _, ok := out[it.name]; !ok {
				return nil, fmt.Errorf("%s: %s vanished or came without data during the run; run again", c.name, it.url.Redacted())
			}
		}
	}
	return out, nil
}

// collection copies one collection and checks its counts.
func (m *migration) collection(ctx context.Context, sc *collection, ta *account) (cr CollectionReport) {
	start := time.Now()
	cr = CollectionReport{Kind: sc.kind, Name: sc.name, DisplayName: sc.displayName}
	defer func() {
		cr.Duration = time.Since(start)
		m.progress(&cr)
	}()
	fail := func(err error) CollectionReport {
		cr.Err = fmt.Errorf("%s: %w", sc.label(), err)
		return cr
	}

	tc, err := m.targetCollection(ctx, sc, ta, &cr)
	if err != nil {
		return fail(err)
	}
	srcItems, err := listItems(ctx, m.src, sc.url)
	if err != nil {
		return fail(err)
	}
	cr.Source = len(srcItems)
	tgtItems, err := listItems(ctx, m.tgt, tc.url)
	if err != nil {
		return fail(err)
	}
	names := make([]string, 0, len(srcItems))
	for n := range srcItems {
		names = append(names, n)
	}
	sort.Strings(names)

	// Pair source and target items: by name, by the journal (an earlier
	// UID match), else later by UID among the target items left over.
	pair := map[string]string{} // source name -> target name
	claimed := map[string]bool{}
	for _, n := range names {
		if _, ok := tgtItems[n]; ok {
			pair[n], claimed[n] = n, true
		}
	}
	for _, n := range names {
		if _, ok := pair[n]; ok {
			continue
		}
		if r, ok := m.jr.get(sc.kind, sc.name, n); ok && !claimed[r.Tgt] {
			if _, there := tgtItems[r.Tgt]; there {
				pair[n], claimed[r.Tgt] = r.Tgt, true
			}
		}
	}
	var extras []item
	for n, it := range tgtItems {
		if !claimed[n] {
			extras = append(extras, it)
		}
	}
	byUID := map[string]string{} // UID -> target name, among extras
	extraData := map[string]fetched{}
	if len(extras) > 0 && len(pair) < len(names) {
		extraData, err = m.fetch(ctx, m.tgt, sc.kind, tc.url, extras)
		if err != nil {
			return fail(err)
		}
		for n, f := range extraData {
			if uid := uidOf(f.data); uid != "" {
				byUID[uid] = n
			}
		}
	}

	written := map[string]bool{} // target names written by this run without a known ETag
	for startIdx := 0; startIdx < len(names); startIdx += m.batch {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		chunk := names[startIdx:min(startIdx+m.batch, len(names))]
		if err := m.chunk(ctx, sc, tc, chunk, srcItems, tgtItems, pair, claimed, byUID, extraData, written, &cr); err != nil {
			return fail(err)
		}
	}
	if err := m.jr.Sync(); err != nil {
		return fail(err)
	}

	// After: the target as it is now.
	after, err := listItems(ctx, m.tgt, tc.url)
	if err != nil {
		return fail(err)
	}
	cr.Target = len(after)
	matched := map[string]bool{}
	for _, n := range names {
		t := n
		if p, ok := pair[n]; ok {
			t = p
		}
		it, ok := after[t]
		if !ok {
			cr.Missing = append(cr.Missing, n)
			continue
		}
		matched[t] = true
		// Servers that rewrite what they store send no ETag on PUT: take
		// it from this listing.
		if written[t] {
			if r, ok := m.jr.get(sc.kind, sc.name, n); ok && r.TgtETag == "" {
				r.TgtETag = it.etag
				if err := m.jr.Put(r); err != nil {
					return fail(err)
				}
			}
		}
	}
	cr.Extra = len(after) - len(matched)
	cr.Checked = len(cr.Missing) == 0
	if len(cr.Missing) > 0 {
		shown := cr.Missing
		if len(shown) > 10 {
			shown = shown[:10]
		}
		return fail(fmt.Errorf("counts differ: source %d, target %d (%d extra); %d missing on the target: %s",
			cr.Source, cr.Target, cr.Extra, len(cr.Missing), strings.Join(shown, ", ")))
	}
	return cr
}

// chunk decides and copies a batch of source items.
func (m *migration) chunk(ctx context.Context, sc, tc *collection, chunk []string, srcItems, tgtItems map[string]item,
	pair map[string]string, claimed map[string]bool, byUID map[string]string, extraData map[string]fetched,
	written map[string]bool, cr *CollectionReport) error {
	// Which source data is needed: all but the items the journal shows
	// unchanged on both sides.
	var needSrc []item
	for _, n := range chunk {
		s := srcItems[n]
		if t, ok := pair[n]; ok {
			if r, ok := m.jr.get(sc.kind, sc.name, n); ok && r.Tgt == t && r.TgtETag != "" && r.TgtETag == tgtItems[t].etag && r.SrcETag == s.etag {
				cr.Unchanged++
				continue
			}
		}
		needSrc = append(needSrc, s)
	}
	if len(needSrc) == 0 {
		return nil
	}
	srcData, err := m.fetch(ctx, m.src, sc.kind, sc.url, needSrc)
	if err != nil {
		return err
	}

	// UID pairing of the items with no target of the same name.
	for _, s := range needSrc {
		if _, ok := pair[s.name]; ok {
			continue
		}
		if t, ok := byUID[uidOf(srcData[s.name].data)]; ok && !claimed[t] {
			pair[s.name], claimed[t] = t, true
		}
	}

	// Which target data is needed: to compare, and to back up before
	// replacing.
	type plan struct {
		s      item
		sf     fetched
		hash   string
		t      *item
		rec    record
		hasRec bool
		ours   bool // target as the journal says this tool left it
	}
	var plans []plan
	var needTgt []item
	for _, s := range needSrc {
		p := plan{s: s, sf: srcData[s.name]}
		p.hash = contentHash(p.sf.data)
		p.rec, p.hasRec = m.jr.get(sc.kind, sc.name, s.name)
		if tn, ok := pair[s.name]; ok {
			t := tgtItems[tn]
			p.t = &t
			p.ours = p.hasRec && p.rec.Tgt == tn && p.rec.TgtETag != "" && p.rec.TgtETag == t.etag
			if p.ours && p.rec.SrcHash == p.hash {
				// Source ETag changed, content did not (a server rewrite).
			} else if p.hasRec && p.rec.Tgt == tn && p.rec.TgtETag == "" && p.rec.SrcHash == p.hash {
				// Written by the last run, its ETag not yet read.
			} else if _, have := extraData[tn]; !have {
				needTgt = append(needTgt, t)
			}
		}
		plans = append(plans, p)
	}
	tgtData, err := m.fetch(ctx, m.tgt, sc.kind, tc.url, needTgt)
	if err != nil {
		return err
	}
	for n, f := range extraData {
		tgtData[n] = f
	}

	for _, p := range plans {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := record{Kind: sc.kind, Coll: sc.name, Src: p.s.name, SrcETag: p.sf.etag, SrcHash: p.hash}
		if rec.SrcETag == "" {
			rec.SrcETag = p.s.etag
		}
		body := crlf(p.sf.data)
		if p.t == nil {
			rec.Tgt = p.s.name
			etag, err := m.tgt.put(ctx, member(tc.url, p.s.name, false), sc.kind, body, "")
			if err != nil {
				return fmt.Errorf("copy %s: %w", p.s.name, err)
			}
			rec.TgtETag = etag
			if etag == "" {
				written[rec.Tgt] = true
			}
			cr.Copied++
			if err := m.jr.Put(rec); err != nil {
				return err
			}
			continue
		}
		rec.Tgt = p.t.name
		// Ours: as this tool left it, or written by it with the ETag still
		// unknown when the run stopped.
		if (p.ours || (p.hasRec && p.rec.Tgt == p.t.name && p.rec.TgtETag == "")) && p.rec.SrcHash == p.hash {
			rec.TgtETag = p.t.etag
			cr.Unchanged++
			if err := m.jr.Put(rec); err != nil {
				return err
			}
			continue
		}
		tf := tgtData[p.t.name]
		var reason string
		switch {
		case canonical(tf.data) == canonical(p.sf.data):
			rec.TgtETag = p.t.etag
			cr.Unchanged++
			if err := m.jr.Put(rec); err != nil {
				return err
			}
			continue
		case p.ours:
			// The target is as this tool left it: a plain update.
		case p.hasRec && (p.rec.SrcHash == p.hash || p.rec.SrcETag == rec.SrcETag):
			// Edited on the target since the copy, not on the source.
			cr.KeptTarget++
			m.logf("%s: %s edited on the target since the last run, source unchanged: kept the target's version", sc.label(), p.t.name)
			continue
		case p.hasRec:
			reason = "changed on both servers since the last run"
		default:
			reason = "on the target before the migration, with other content"
		}
		backup, err := m.jr.backup(sc.kind, sc.name, p.t.name, crlf(tf.data))
		if err != nil {
			return err
		}
		etag, err := m.tgt.put(ctx, p.t.url, sc.kind, body, p.t.etag)
		if err != nil {
			return fmt.Errorf("replace %s: %w", p.t.name, err)
		}
		rec.TgtETag = etag
		if etag == "" {
			written[rec.Tgt] = true
		}
		if reason == "" {
			cr.Updated++
		} else {
			cr.Overwritten++
			cr.Overwrites = append(cr.Overwrites, Overwrite{Name: p.t.name, Reason: reason, Backup: backup})
			m.logf("%s: overwrote %s (%s); the target's version is in %s", sc.label(), p.t.name, reason, backup)
		}
		if err := m.jr.Put(rec); err != nil {
			return err
		}
	}
	return nil
}

func (m *migration) progress(cr *CollectionReport) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", cr.Kind, cr.Name)
	if cr.DisplayName != "" && cr.DisplayName != cr.Name {
		fmt.Fprintf(&b, " (%s)", cr.DisplayName)
	}
	if cr.Created {
		b.WriteString(" [created]")
	} else if len(cr.PropsSet) > 0 {
		fmt.Fprintf(&b, " [set %s]", strings.Join(cr.PropsSet, ", "))
	}
	if cr.Checked || len(cr.Missing) > 0 {
		fmt.Fprintf(&b, ": source %d, target %d", cr.Source, cr.Target)
	} else {
		fmt.Fprintf(&b, ": source %d, target not counted", cr.Source)
	}
	if cr.Extra > 0 {
		fmt.Fprintf(&b, " (%d extra kept)", cr.Extra)
	}
	fmt.Fprintf(&b, "; copied %d, updated %d, overwritten %d, kept on target %d, unchanged %d; %s",
		cr.Copied, cr.Updated, cr.Overwritten, cr.KeptTarget, cr.Unchanged, cr.Duration.Round(time.Millisecond))
	switch {
	case cr.Err != nil && (errors.Is(cr.Err, context.Canceled) || errors.Is(cr.Err, context.DeadlineExceeded)):
		fmt.Fprintf(&b, "; INTERRUPTED: %v (run again to resume)", cr.Err)
	case cr.Err != nil:
		fmt.Fprintf(&b, "; FAILED: %v", cr.Err)
	}
	m.logf("%s", b.String())
	for _, n := range cr.Notes {
		m.logf("%s %q: %s", cr.Kind, cr.Name, n)
	}
}
