package mailmigrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// --- Mail-in-a-Box's admin API (management/daemon.py, mailconfig.py) ---

// MiaBUser is one entry of GET /admin/mail/users?format=json, grouped by
// domain there. Archived accounts (the user was deleted, the mailbox kept
// on disk) have status "inactive".
type MiaBUser struct {
	Email      string          `json:"email"`
	Privileges json.RawMessage `json:"privileges"` // a list; "" for archived accounts in old versions
	Status     string          `json:"status"`     // "active" | "inactive"
	Quota      json.RawMessage `json:"quota"`      // "0" (none), "500M", "5G" or bytes; absent before v0.65
	Mailbox    string          `json:"mailbox"`
	BoxSize    json.RawMessage `json:"box_size"` // "1.2 GB", "?" (v0.65 and later)
}

// MiaBAlias is one entry of GET /admin/mail/aliases?format=json. Mail-in-a-
// Box makes some aliases itself: "auto" since v0.60 (table auto_aliases),
// "required" before.
type MiaBAlias struct {
	Address          string   `json:"address"`
	ForwardsTo       []string `json:"forwards_to"`
	PermittedSenders []string `json:"permitted_senders"`
	Auto             bool     `json:"auto"`
	Required         bool     `json:"required"`
}

type miabUserDomain struct {
	Domain string     `json:"domain"`
	Users  []MiaBUser `json:"users"`
}

type miabAliasDomain struct {
	Domain  string      `json:"domain"`
	Aliases []MiaBAlias `json:"aliases"`
}

// MiaB reads users and aliases from a Mail-in-a-Box admin API.
type MiaB struct {
	URL            string // https://<box>/admin
	User, Password string // an admin's address and password, or the API key as user
	Client         *http.Client
}

// Fetch returns every user and alias, flattened.
func (m MiaB) Fetch(ctx context.Context) ([]MiaBUser, []MiaBAlias, error) {
	var ud []miabUserDomain
	if err := m.get(ctx, "/mail/users?format=json", &ud); err != nil {
		return nil, nil, err
	}
	var ad []miabAliasDomain
	if err := m.get(ctx, "/mail/aliases?format=json", &ad); err != nil {
		return nil, nil, err
	}
	var users []MiaBUser
	for _, d := range ud {
		users = append(users, d.Users...)
	}
	var aliases []MiaBAlias
	for _, d := range ad {
		aliases = append(aliases, d.Aliases...)
	}
	return users, aliases, nil
}

func (m MiaB) get(ctx context.Context, path string, into any) error {
	client := m.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	u := strings.TrimSuffix(m.URL, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("Mail-in-a-Box admin API: %w", err)
	}
	req.SetBasicAuth(m.User, m.Password)
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("Mail-in-a-Box admin API %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("Mail-in-a-Box admin API %s: %w", u, err)
	}
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return fmt.Errorf("Mail-in-a-Box admin API %s: %s: %s", u, res.Status, loginFix(res.Header.Get("X-Reason")))
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("Mail-in-a-Box admin API %s: %s: %.200s", u, res.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("Mail-in-a-Box admin API %s: not the JSON expected (%w): %.200s", u, err, body)
	}
	return nil
}

// loginFix turns Mail-in-a-Box's X-Reason (management/daemon.py, auth.py)
// into what to change.
func loginFix(reason string) string {
	const apiKey = "use the API key of /var/lib/mailinabox/api.key (on the box) as --admin-user"
	switch {
	case strings.Contains(reason, "totp"):
		return fmt.Sprintf("the box says %q: this admin has two-factor login on, which the command cannot answer; %s", reason, apiKey)
	case strings.Contains(reason, "not an administrator"):
		return fmt.Sprintf("the box says %q: give an admin's address as --admin-user, or %s", reason, apiKey)
	case strings.Contains(reason, "Incorrect email address or password"):
		return fmt.Sprintf("the box says %q: check --admin-user (an admin's address) and MIAB_ADMIN_PASSWORD", reason)
	case reason != "":
		return fmt.Sprintf("the box says %q: check --admin-user and MIAB_ADMIN_PASSWORD, or %s", reason, apiKey)
	}
	return "check --admin-user (an admin's address) and MIAB_ADMIN_PASSWORD; with two-factor login on, " + apiKey
}

// --- the stack's data file ---

// UserEntry is one value of mail_users in the stack's data file.
type UserEntry struct {
	DisplayName string `json:"display_name"`
	Admin       bool   `json:"admin"`
	QuotaMB     int64  `json:"quota_mb"`
	Enabled     bool   `json:"enabled"`
}

// AliasEntry is one value of mail_aliases: a destination that is a user
// of the root domain is its local part, any other a full address.
type AliasEntry struct {
	Destinations []string `json:"destinations"`
}

// AccountsOptions of `infra migrate mail accounts`.
type AccountsOptions struct {
	Box    string // the box's host name: administrator@<box> receives MiaB's automatic aliases
	Domain string // root domain: the only one the stack holds
	// SkipOtherDomains writes the rest when some addresses are on other
	// domains (they must then be created by hand).
	SkipOtherDomains bool
	// SkipUnsupported writes the rest when some aliases cannot be said in
	// the stack's shape (catch-alls, forwards of a whole domain).
	SkipUnsupported bool
	File            string    // the data file, merged when it exists
	Out             io.Writer // report
}

// localPartRe is the lower-case dot-atom of RFC 5321 (atext without upper
// case) less "+", Mailu's recipient delimiter (alice+news@ is delivered
// to alice@): the stack's variables refuse it too.
var localPartRe = regexp.MustCompile("^[a-z0-9!#$%&'*/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*/=?^_`{|}~-]+)*$")

func validLocalPart(s string) bool { return len(s) <= 64 && localPartRe.MatchString(s) }

var quotaRe = regexp.MustCompile(`^([0-9]+)([MG]?)$`)

// quotaMB turns MiaB's quota ("0" none, "500M", "5G", or bytes) into MiB
// (rounded up: a quota never shrinks under the mail it holds).
func quotaMB(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, fmt.Errorf("quota %s is neither a string nor a number", raw)
		}
		s = n.String()
	}
	m := quotaRe.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("quota %q is not Mail-in-a-Box's form (0, 500M, 5G or bytes)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("quota %q: %w", s, err)
	}
	switch m[2] {
	case "G":
		return n * 1024, nil
	case "M":
		return n, nil
	}
	return (n + 1<<20 - 1) >> 20, nil
}

func privileges(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return nil, nil
	}
	var p []string
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("privileges %s: not a list", raw)
	}
	return p, nil
}

// skipped is an address not written, and why.
type skipped struct{ address, reason string }

// AccountsReport is what the accounts run found and did.
type AccountsReport struct {
	UsersOnMiaB, AliasesOnMiaB                  int
	UsersWritten, AliasesWritten                int // entries of MiaB in the file (new, same or kept)
	UsersNew, AliasesNew                        int
	UsersSkipped, AliasesSkipped                []skipped
	Changed                                     []string // entries that differ from MiaB: the file's version kept
	KeptUsers, KeptAliases                      []string // in the file, not on MiaB: kept
	Notes                                       []string
	FileUsers, FileAliases                      int
	UsersDisabled                               []string
	unsupported, otherDomains, invalid, boxHost []string
}

// WriteAccounts turns MiaB's users and aliases into the stack's data file,
// merged with what the file already holds.
func WriteAccounts(users []MiaBUser, aliases []MiaBAlias, o AccountsOptions) (*AccountsReport, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	domain := strings.ToLower(strings.TrimSpace(o.Domain))
	box := strings.ToLower(strings.TrimSpace(o.Box))
	if domain == "" || box == "" {
		return nil, errors.New("give --domain (the root domain, for example fullfrontend.be) and --box (the box's host name)")
	}
	rep := &AccountsReport{UsersOnMiaB: len(users), AliasesOnMiaB: len(aliases)}
	wantUsers := map[string]UserEntry{}
	wantAliases := map[string]AliasEntry{}
	split := func(addr string) (string, string) {
		l, d, _ := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
		return l, d
	}

	for _, u := range users {
		local, d := split(u.Email)
		switch {
		case d != domain:
			rep.otherDomains = append(rep.otherDomains, u.Email+" (user)")
			rep.UsersSkipped = append(rep.UsersSkipped, skipped{u.Email, "user on another domain than " + domain})
			continue
		case !validLocalPart(local):
			rep.invalid = append(rep.invalid, u.Email)
			continue
		}
		privs, err := privileges(u.Privileges)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.Email, err)
		}
		q, err := quotaMB(u.Quota)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.Email, err)
		}
		e := UserEntry{Admin: contains(privs, "admin"), QuotaMB: q, Enabled: u.Status != "inactive"}
		if q == 0 && e.Enabled {
			// 0 is "no quota" on the box but Mailu's default (1 GB) in
			// the stack: a bigger mailbox would stop the copy on quota.
			size := strings.Trim(string(u.BoxSize), `"`)
			if size == "" {
				size = "unknown"
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s has no quota on the box (size %s); quota_mb 0 is Mailu's default (1 GB): raise it in the file if the mailbox is bigger", u.Email, size))
		}
		if !e.Enabled {
			rep.UsersDisabled = append(rep.UsersDisabled, u.Email)
		}
		wantUsers[local] = e
	}
	defaultDest := "administrator@" + box
	for _, a := range aliases {
		addr := strings.ToLower(strings.TrimSpace(a.Address))
		local, d := split(addr)
		automatic := a.Auto || a.Required
		var dests []string
		for _, f := range a.ForwardsTo {
			if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
				dests = append(dests, f)
			}
		}
		switch {
		case d == box:
			// administrator@ (made at setup) and hostmaster@ (auto).
			rep.AliasesSkipped = append(rep.AliasesSkipped, skipped{a.Address, "on the box's own host name (Mail-in-a-Box's system address: it goes away with the box)"})
			continue
		case automatic && len(dests) == 1 && dests[0] == defaultDest:
			rep.AliasesSkipped = append(rep.AliasesSkipped, skipped{a.Address, "made by Mail-in-a-Box itself, to " + defaultDest + " (add it to mail_aliases by hand if wanted: Mailu delivers postmaster itself)"})
			continue
		case strings.HasPrefix(addr, "@"):
			rep.unsupported = append(rep.unsupported, a.Address+" (catch-all or domain alias)")
			rep.AliasesSkipped = append(rep.AliasesSkipped, skipped{a.Address, "catch-all or domain alias: not in the stack's shape, set it up in Mailu's admin by hand"})
			continue
		case d != domain:
			rep.otherDomains = append(rep.otherDomains, a.Address+" (alias)")
			rep.AliasesSkipped = append(rep.AliasesSkipped, skipped{a.Address, "alias on another domain than " + domain})
			continue
		case !validLocalPart(local):
			rep.invalid = append(rep.invalid, a.Address)
			continue
		}
		if len(dests) == 0 {
			rep.AliasesSkipped = append(rep.AliasesSkipped, skipped{a.Address, "no destination (a send-only alias: permitted senders only, which Mailu has no place for)"})
			continue
		}
		var out []string
		bad, gone := "", ""
		for _, f := range dests {
			fl, fd := split(f)
			switch {
			case fl == "" || fd == "" || strings.Count(f, "@") != 1:
				bad = f
			case fd == domain && hasUser(wantUsers, fl):
				out = append(out, fl)
			case fd == box && hasUser(wantUsers, fl):
				// The box's host name goes away with the box; the same
				// mailbox exists on the root domain.
				out = append(out, fl)
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s forwards to %s, on the box's host name: written as %s@%s", a.Address, f, fl, domain))
			case fd == box:
				gone = f
			default:
				// Mail-in-a-Box gives internationalised domains in Unicode;
				// the stack (and SMTP without SMTPUTF8) takes the A-label.
				ascii, err := idna.Lookup.ToASCII(fd)
				if err != nil {
					bad = f
					continue
				}
				if ascii != fd {
					rep.Notes = append(rep.Notes, fmt.Sprintf("%s forwards to %s: written with the domain's ASCII form %s", a.Address, f, ascii))
				}
				out = append(out, fl+"@"+ascii)
			}
		}
		if gone != "" {
			rep.boxHost = append(rep.boxHost, fmt.Sprintf("%s (forwards to %s)", a.Address, gone))
			continue
		}
		if bad != "" {
			rep.unsupported = append(rep.unsupported, fmt.Sprintf("%s (forwards to %q)", a.Address, bad))
			rep.AliasesSkipped = append(rep.AliasesSkipped, skipped{a.Address, fmt.Sprintf("forwards to %q, not an address (a whole-domain forward): set it up in Mailu by hand", bad)})
			continue
		}
		if automatic {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s was made by Mail-in-a-Box but forwards to %s: copied", a.Address, strings.Join(dests, ", ")))
		}
		if len(a.PermittedSenders) > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: permitted senders (%s) not carried over", a.Address, strings.Join(a.PermittedSenders, ", ")))
		}
		if _, dup := wantUsers[local]; dup {
			return nil, fmt.Errorf("%s is both a user and an alias on Mail-in-a-Box; Mailu cannot hold both: remove the alias on the box (or the user) and run again", a.Address)
		}
		sort.Strings(out)
		wantAliases[local] = AliasEntry{Destinations: dedupe(out)}
	}
	if err := expandAliasChains(wantAliases, domain, rep); err != nil {
		return nil, err
	}

	if len(rep.invalid) > 0 {
		return nil, fmt.Errorf("addresses whose local part is not a lower-case dot-atom (RFC 5321) without + (Mailu's recipient delimiter) cannot be keys of the stack's data file: %s; rename them on the box and run again", strings.Join(rep.invalid, ", "))
	}
	var refuse []string
	if len(rep.otherDomains) > 0 && !o.SkipOtherDomains {
		refuse = append(refuse, fmt.Sprintf("%d address(es) on other domains than %s, which the stack does not hold: %s; create them in Mailu by hand, then run again with --skip-other-domains to write the rest knowingly",
			len(rep.otherDomains), domain, strings.Join(rep.otherDomains, ", ")))
	}
	if len(rep.boxHost) > 0 {
		refuse = append(refuse, fmt.Sprintf("%d alias(es) forward to an address of the box's own host name %s, which goes away with the box, and no mailbox of %s has its local part: %s; point them at a user on the box (or create that user) and run again",
			len(rep.boxHost), box, domain, strings.Join(rep.boxHost, ", ")))
	}
	if len(rep.unsupported) > 0 && !o.SkipUnsupported {
		refuse = append(refuse, fmt.Sprintf("%d alias(es) the stack's shape cannot hold: %s; set them up in Mailu's admin by hand, then run again with --skip-unsupported",
			len(rep.unsupported), strings.Join(rep.unsupported, ", ")))
	}
	if len(refuse) > 0 {
		return nil, errors.New(strings.Join(refuse, "\n"))
	}

	// Every address of the box is written or skipped with a reason,
	// before anything is written.
	rep.UsersWritten, rep.AliasesWritten = len(wantUsers), len(wantAliases)
	if rep.UsersWritten+len(rep.UsersSkipped) != rep.UsersOnMiaB || rep.AliasesWritten+len(rep.AliasesSkipped) != rep.AliasesOnMiaB {
		return rep, fmt.Errorf("counts do not add up, nothing was written: users %d on Mail-in-a-Box, %d to write + %d skipped; aliases %d, %d to write + %d skipped (the same address twice on the box, in other case?)",
			rep.UsersOnMiaB, rep.UsersWritten, len(rep.UsersSkipped), rep.AliasesOnMiaB, rep.AliasesWritten, len(rep.AliasesSkipped))
	}
	if err := mergeAccounts(o.File, wantUsers, wantAliases, rep); err != nil {
		return nil, err
	}
	rep.print(o.Out, o.File)
	return rep, nil
}

func (r *AccountsReport) print(w io.Writer, file string) {
	fmt.Fprintf(w, "Mail-in-a-Box: %d user(s), %d alias(es)\n", r.UsersOnMiaB, r.AliasesOnMiaB)
	fmt.Fprintf(w, "users: %d written (%d new), %d skipped\n", r.UsersWritten, r.UsersNew, len(r.UsersSkipped))
	for _, s := range r.UsersSkipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.address, s.reason)
	}
	for _, a := range r.UsersDisabled {
		fmt.Fprintf(w, "  %s is archived on Mail-in-a-Box (user deleted, mailbox kept): written with enabled = false, its mail is not copied over IMAP\n", a)
	}
	fmt.Fprintf(w, "aliases: %d written (%d new), %d skipped\n", r.AliasesWritten, r.AliasesNew, len(r.AliasesSkipped))
	for _, s := range r.AliasesSkipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.address, s.reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, c := range r.Changed {
		fmt.Fprintf(w, "  differs from Mail-in-a-Box, the file's version kept: %s\n", c)
	}
	for _, k := range r.KeptUsers {
		fmt.Fprintf(w, "  user %s is in the file but not on Mail-in-a-Box: kept\n", k)
	}
	for _, k := range r.KeptAliases {
		fmt.Fprintf(w, "  alias %s is in the file but not on Mail-in-a-Box: kept\n", k)
	}
	fmt.Fprintf(w, "%s: %d user(s), %d alias(es)\n", file, r.FileUsers, r.FileAliases)
}

func hasUser(users map[string]UserEntry, local string) bool {
	_, ok := users[local]
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(sorted []string) []string {
	var out []string
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// mergeAccounts writes the file: entries already there are kept as they
// are (an operator's edit wins and is reported when it differs from
// MiaB), new ones added, other top-level keys and fields left untouched.
func mergeAccounts(path string, users map[string]UserEntry, aliases map[string]AliasEntry, rep *AccountsReport) error {
	if path == "" {
		return errors.New("give --out, the stack's data file (stacks/platform/mail-accounts.auto.tfvars.json)")
	}
	top := map[string]json.RawMessage{}
	fileUsers := map[string]map[string]any{}
	fileAliases := map[string]map[string]any{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	default:
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&top); err != nil {
			return fmt.Errorf("%s is not a JSON object (%w): fix or move it away, nothing was written", path, err)
		}
		for key, into := range map[string]*map[string]map[string]any{"mail_users": &fileUsers, "mail_aliases": &fileAliases} {
			raw, ok := top[key]
			if !ok || string(raw) == "null" {
				continue
			}
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(into); err != nil {
				return fmt.Errorf("%s: %s is not an object of objects (%w): fix it, nothing was written", path, key, err)
			}
		}
	}
	for _, k := range sortedKeys(fileUsers) {
		if _, ok := users[k]; !ok {
			rep.KeptUsers = append(rep.KeptUsers, k)
		}
	}
	for _, k := range sortedKeys(fileAliases) {
		if _, ok := aliases[k]; !ok {
			rep.KeptAliases = append(rep.KeptAliases, k)
		}
	}
	for _, k := range sortedKeys(users) {
		u := users[k]
		old, ok := fileUsers[k]
		if !ok {
			fileUsers[k] = map[string]any{"display_name": u.DisplayName, "admin": u.Admin, "quota_mb": u.QuotaMB, "enabled": u.Enabled}
			rep.UsersNew++
			continue
		}
		var diffs []string
		if fmt.Sprint(old["admin"]) != fmt.Sprint(u.Admin) {
			diffs = append(diffs, fmt.Sprintf("admin %v on the box, %v in the file", u.Admin, old["admin"]))
		}
		if fmt.Sprint(old["quota_mb"]) != fmt.Sprint(u.QuotaMB) {
			diffs = append(diffs, fmt.Sprintf("quota_mb %d on the box, %v in the file", u.QuotaMB, old["quota_mb"]))
		}
		if fmt.Sprint(old["enabled"]) != fmt.Sprint(u.Enabled) {
			diffs = append(diffs, fmt.Sprintf("enabled %v on the box, %v in the file", u.Enabled, old["enabled"]))
		}
		if len(diffs) > 0 {
			rep.Changed = append(rep.Changed, "user "+k+": "+strings.Join(diffs, ", "))
		}
	}
	for _, k := range sortedKeys(aliases) {
		a := aliases[k]
		old, ok := fileAliases[k]
		if !ok {
			fileAliases[k] = map[string]any{"destinations": a.Destinations}
			rep.AliasesNew++
			continue
		}
		var have []string
		if l, ok := old["destinations"].([]any); ok {
			for _, x := range l {
				have = append(have, fmt.Sprint(x))
			}
		}
		sort.Strings(have)
		if strings.Join(have, ",") != strings.Join(a.Destinations, ",") {
			rep.Changed = append(rep.Changed, fmt.Sprintf("alias %s: destinations %v on the box, %v in the file", k, a.Destinations, have))
		}
	}
	for key, v := range map[string]any{"mail_users": fileUsers, "mail_aliases": fileAliases} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		top[key] = b
	}
	out, err := json.MarshalIndent(top, "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Read back what a plan will read.
	got, err := ReadAccountsFile(path)
	if err != nil {
		return err
	}
	for k := range users {
		if _, ok := got.Users[k]; !ok {
			return fmt.Errorf("%s: user %s missing after the write", path, k)
		}
	}
	for k := range aliases {
		if _, ok := got.Aliases[k]; !ok {
			return fmt.Errorf("%s: alias %s missing after the write", path, k)
		}
	}
	rep.FileUsers, rep.FileAliases = len(got.Users), len(got.Aliases)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AccountsFile is the stack's data file as the copy reads it.
type AccountsFile struct {
	Users   map[string]UserEntry  `json:"mail_users"`
	Aliases map[string]AliasEntry `json:"mail_aliases"`
}

// ReadAccountsFile reads the stack's data file.
func ReadAccountsFile(path string) (*AccountsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the accounts file: %w (write it with infra migrate mail accounts)", err)
	}
	var f AccountsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// expandAliasChains replaces a destination that is another alias of the
// root domain by that alias's own destinations, down to mailboxes and
// outside addresses: the stack takes local parts of mailboxes only, so that
// no alias can loop (stacks/platform, mail_aliases). A loop on the box is
// an error that names it.
func expandAliasChains(aliases map[string]AliasEntry, domain string, rep *AccountsReport) error {
	memo := map[string][]string{}
	var resolve func(local string, path []string) ([]string, error)
	resolve = func(local string, path []string) ([]string, error) {
		if slices.Contains(path, local) {
			var chain []string
			for _, l := range append(path, local) {
				chain = append(chain, l+"@"+domain)
			}
			return nil, fmt.Errorf("aliases loop on Mail-in-a-Box: %s; mail sent there is never delivered: fix the aliases on the box and run again", strings.Join(chain, " -> "))
		}
		if r, ok := memo[local]; ok {
			return r, nil
		}
		var out []string
		for _, d := range aliases[local].Destinations {
			l, dom, ok := strings.Cut(d, "@")
			if _, isAlias := aliases[l]; ok && dom == domain && isAlias {
				sub, err := resolve(l, append(slices.Clone(path), local))
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
				continue
			}
			out = append(out, d)
		}
		sort.Strings(out)
		out = dedupe(out)
		memo[local] = out
		return out, nil
	}
	locals := make([]string, 0, len(aliases))
	for l := range aliases {
		locals = append(locals, l)
	}
	sort.Strings(locals)
	for _, l := range locals {
		out, err := resolve(l, nil)
		if err != nil {
			return err
		}
		if !slices.Equal(out, aliases[l].Destinations) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s@%s forwards to other aliases of the box: written as their destinations (%s)", l, domain, strings.Join(out, ", ")))
		}
		aliases[l] = AliasEntry{Destinations: out}
	}
	return nil
}
