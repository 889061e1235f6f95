package mailmigrate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
)

// Server is one IMAP server, reached over implicit TLS (port 993).
type Server struct {
	Addr string // host:port
	// TLS is the client configuration; nil: the system's roots, the
	// host of Addr as server name. Tests give a pool with their own CA;
	// there is no way to skip verification.
	TLS *tls.Config
}

func (s Server) tlsConfig() (*tls.Config, error) {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return nil, fmt.Errorf("IMAP server %q is not host:port (for example mail.fullfrontend.be:993): %w", s.Addr, err)
	}
	c := &tls.Config{}
	if s.TLS != nil {
		c = s.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c, nil
}

// Account is one mailbox to copy, with the logins on each side.
type Account struct {
	Address                    string // the mailbox, e.g. alice@fullfrontend.be
	SourceUser, SourcePassword string // alice@fullfrontend.be*master with a master user
	TargetUser, TargetPassword string
}

// CopyOptions of one run.
type CopyOptions struct {
	Source, Target Server
	Accounts       []Account
	// StateDir holds one journal per account. Required.
	StateDir string
	Out      io.Writer // progress lines; nil: discarded
	// Copied, when set, is called after each message stored on the
	// target and journaled (tests stop a run half-way with it).
	Copied func(account, folder string)
}

// FolderReport is the outcome of one folder.
type FolderReport struct {
	Source, Target  string
	SourceCount     int // messages on the source when the folder was read
	TargetBefore    int
	Copied          int
	AlreadyThere    int
	FlagsSynced     int // messages already there whose flags were updated
	Vanished        int // expunged on the source during the run
	DeletedOnSource int // copied by an earlier run, gone from the source since: kept on the target
	TargetAfter     int
	Missing         int // source messages not found on the target afterwards
}

// AccountReport is the outcome of one account.
type AccountReport struct {
	Address string
	Folders []FolderReport
	Err     error
}

// MissingError says which folders lack messages on the target after the copy.
type MissingError struct {
	Account string
	Folders []FolderReport
}

func (e *MissingError) Error() string {
	var parts []string
	for _, f := range e.Folders {
		parts = append(parts, fmt.Sprintf("%q -> %q: %d of %d source messages not found on the target (target holds %d)",
			f.Source, f.Target, f.Missing, f.SourceCount-f.Vanished, f.TargetAfter))
	}
	return fmt.Sprintf("%s: %s; run the copy again (it copies only what is missing), and if it persists look at the target's logs (quota, rejected messages)",
		e.Account, strings.Join(parts, "; "))
}

// Copy copies every folder of every account. It returns one report per
// account; the error names every account and folder that failed.
func Copy(ctx context.Context, o CopyOptions) ([]AccountReport, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if len(o.Accounts) == 0 {
		return nil, errors.New("no account to copy: give --user ADDRESS (repeatable) or --all")
	}
	var reports []AccountReport
	var failed []error
	for _, a := range o.Accounts {
		rep := copyAccount(ctx, o, a)
		reports = append(reports, rep)
		if ctx.Err() != nil {
			return reports, fmt.Errorf("interrupted during %s: %w (run the same command again to resume)", a.Address, ctx.Err())
		}
		if rep.Err != nil {
			fmt.Fprintf(o.Out, "%s: FAILED: %v\n", a.Address, rep.Err)
			failed = append(failed, rep.Err)
		}
	}
	var src, copied, after int
	for _, r := range reports {
		for _, f := range r.Folders {
			src += f.SourceCount
			copied += f.Copied
			after += f.TargetAfter
		}
	}
	fmt.Fprintf(o.Out, "total: %d account(s), %d message(s) on the source, %d copied by this run, %d on the target, %d account(s) failed\n",
		len(reports), src, copied, after, len(failed))
	if len(failed) > 0 {
		return reports, fmt.Errorf("mail copy incomplete:\n%w", errors.Join(failed...))
	}
	return reports, nil
}

type accountRun struct {
	o        CopyOptions
	a        Account
	src, dst *imapClient
	j        *journal
}

func connect(ctx context.Context, s Server, user, password, side string) (*imapClient, error) {
	conf, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	c, err := dialIMAP(ctx, s.Addr, conf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", side, err)
	}
	if err := c.login(ctx, user, password); err != nil {
		c.close()
		return nil, fmt.Errorf("%s: %w", side, err)
	}
	for _, cap := range []string{"IMAP4REV1"} {
		if !c.has(cap) {
			c.logout()
			return nil, fmt.Errorf("%s %s does not announce %s", side, s.Addr, cap)
		}
	}
	return c, nil
}

func copyAccount(ctx context.Context, o CopyOptions, a Account) (rep AccountReport) {
	rep.Address = a.Address
	fail := func(err error) AccountReport {
		rep.Err = fmt.Errorf("%s: %w", a.Address, err)
		return rep
	}
	if a.SourcePassword == "" || a.TargetPassword == "" {
		return fail(errors.New("no password for the source or the target login"))
	}
	src, err := connect(ctx, o.Source, a.SourceUser, a.SourcePassword, "source")
	if err != nil {
		return fail(err)
	}
	defer src.logout()
	dst, err := connect(ctx, o.Target, a.TargetUser, a.TargetPassword, "target")
	if err != nil {
		return fail(err)
	}
	defer dst.logout()
	srcList, err := src.list(ctx)
	if err != nil {
		return fail(fmt.Errorf("list source folders: %w", err))
	}
	dstList, err := dst.list(ctx)
	if err != nil {
		return fail(fmt.Errorf("list target folders: %w", err))
	}
	plans, err := planFolders(srcList, dstList)
	if err != nil {
		return fail(err)
	}
	j, err := openJournal(o.StateDir, o.Source.Addr, a.Address, o.Target.Addr, a.TargetUser)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := j.Close(); err != nil && rep.Err == nil {
			rep.Err = err
		}
	}()
	exists := map[string]bool{}
	for _, m := range dstList {
		if selectable(m) {
			exists[m.Name] = true
		}
	}
	fmt.Fprintf(o.Out, "%s: %d folder(s) on the source\n", a.Address, len(plans))
	r := &accountRun{o: o, a: a, src: src, dst: dst, j: j}
	var missing []FolderReport
	for _, p := range plans {
		if !exists[p.Target] {
			if err := dst.create(ctx, p.Target); err != nil {
				return fail(fmt.Errorf("create target folder %q: %w", p.Target, err))
			}
			if err := dst.subscribe(ctx, p.Target); err != nil {
				return fail(fmt.Errorf("subscribe target folder %q: %w", p.Target, err))
			}
			exists[p.Target] = true
		}
		fr, err := r.copyFolder(ctx, p)
		rep.Folders = append(rep.Folders, fr)
		if err != nil {
			return fail(fmt.Errorf("folder %q: %w", p.Source, err))
		}
		status := "ok"
		if fr.Missing > 0 {
			status = fmt.Sprintf("MISSING %d", fr.Missing)
			missing = append(missing, fr)
		}
		extra := ""
		if fr.Vanished > 0 {
			extra += fmt.Sprintf(", %d expunged on the source meanwhile", fr.Vanished)
		}
		if fr.DeletedOnSource > 0 {
			extra += fmt.Sprintf(", %d deleted on the source since an earlier run (kept on the target)", fr.DeletedOnSource)
		}
		fmt.Fprintf(o.Out, "%s: %q -> %q: source %d, target before %d, copied %d, already there %d, flags synced %d%s, target after %d: %s\n",
			a.Address, fr.Source, fr.Target, fr.SourceCount, fr.TargetBefore, fr.Copied, fr.AlreadyThere, fr.FlagsSynced, extra, fr.TargetAfter, status)
	}
	if len(missing) > 0 {
		rep.Err = &MissingError{Account: a.Address, Folders: missing}
	}
	return rep
}

// ident is how a message is recognised on the target without the
// journal: the same Message-ID, INTERNALDATE and size.
type ident struct {
	messageID string
	date      int64
	size      int64
}

func identOf(m msgInfo) ident { return ident{m.MessageID, m.Date.Unix(), m.Size} }

// match pairs each source message with a distinct target message: first
// through the journal (the target UID APPENDUID gave, if it still holds
// that message), then by identity, one target message per source
// message, so that two identical messages need two copies.
func (r *accountRun) match(folder string, uv, tuv uint32, src, tgt []msgInfo) []int {
	out := make([]int, len(src))
	byUID := map[uint32]int{}
	for i, t := range tgt {
		byUID[t.UID] = i
	}
	used := make([]bool, len(tgt))
	for i, s := range src {
		out[i] = -1
		rec, ok := r.j.get(folder, uv, s.UID)
		if !ok || rec.TargetUV != tuv || rec.TargetUID == 0 {
			continue
		}
		if ti, ok := byUID[rec.TargetUID]; ok && !used[ti] && identOf(tgt[ti]) == identOf(s) {
			out[i] = ti
			used[ti] = true
		}
	}
	free := map[ident][]int{}
	for i, t := range tgt {
		if !used[i] {
			k := identOf(t)
			free[k] = append(free[k], i)
		}
	}
	for i, s := range src {
		if out[i] >= 0 {
			continue
		}
		k := identOf(s)
		if l := free[k]; len(l) > 0 {
			out[i] = l[0]
			free[k] = l[1:]
		}
	}
	return out
}

func (r *accountRun) copyFolder(ctx context.Context, p folderPlan) (FolderReport, error) {
	fr := FolderReport{Source: p.Source, Target: p.Target}
	st, err := r.src.selectMailbox(ctx, p.Source, true)
	if err != nil {
		return fr, err
	}
	src, err := r.src.fetchIndex(ctx, st.Exists)
	if err != nil {
		return fr, fmt.Errorf("read the source's message list: %w", err)
	}
	sort.Slice(src, func(i, j int) bool { return src[i].UID < src[j].UID })
	fr.SourceCount = len(src)
	tst, err := r.dst.selectMailbox(ctx, p.Target, false)
	if err != nil {
		return fr, err
	}
	tgt, err := r.dst.fetchIndex(ctx, tst.Exists)
	if err != nil {
		return fr, fmt.Errorf("read the target's message list: %w", err)
	}
	fr.TargetBefore = len(tgt)

	present := map[uint32]bool{}
	for _, s := range src {
		present[s.UID] = true
	}
	for uid := range r.j.uids(p.Source, st.UIDValidity) {
		if !present[uid] {
			fr.DeletedOnSource++
		}
	}

	pairs := r.match(p.Source, st.UIDValidity, tst.UIDValidity, src, tgt)
	var todo []msgInfo
	var have []int
	for i, ti := range pairs {
		if ti < 0 {
			todo = append(todo, src[i])
		} else {
			have = append(have, i)
		}
	}
	fr.AlreadyThere = len(have)
	if fr.FlagsSynced, err = r.syncFlags(ctx, p, st.UIDValidity, tst.UIDValidity, src, tgt, pairs, have); err != nil {
		return fr, err
	}

	vanished := map[uint32]bool{}
	if err := r.copyMessages(ctx, p, st.UIDValidity, todo, &fr, vanished); err != nil {
		return fr, err
	}
	fr.Vanished = len(vanished)

	// Counts after, from the target itself.
	tst, err = r.dst.selectMailbox(ctx, p.Target, false)
	if err != nil {
		return fr, err
	}
	tgt, err = r.dst.fetchIndex(ctx, tst.Exists)
	if err != nil {
		return fr, fmt.Errorf("read the target's message list after the copy: %w", err)
	}
	fr.TargetAfter = len(tgt)
	var kept []msgInfo
	for _, s := range src {
		if !vanished[s.UID] {
			kept = append(kept, s)
		}
	}
	for _, ti := range r.match(p.Source, st.UIDValidity, tst.UIDValidity, kept, tgt) {
		if ti < 0 {
			fr.Missing++
		}
	}
	if fr.TargetAfter < len(kept) && fr.Missing == 0 {
		fr.Missing = len(kept) - fr.TargetAfter
	}
	return fr, nil
}

// syncFlags carries the source's flag changes over to messages already
// on the target. With the journal (the flags last carried over), a flag
// added on the source since is added, one removed there is removed, and
// what the user changed on the target alone is kept. Without it, source
// flags missing on the target are added and none is removed.
func (r *accountRun) syncFlags(ctx context.Context, p folderPlan, uv, tuv uint32, src, tgt []msgInfo, pairs []int, have []int) (int, error) {
	type change struct{ op, flags string }
	groups := map[change][]uint32{}
	changed := map[uint32]bool{}
	var records []record
	for _, i := range have {
		s, t := src[i], tgt[pairs[i]]
		rec, known := r.j.get(p.Source, uv, s.UID)
		add, remove := flagDelta(s.Flags, t.Flags, rec.Flags, known)
		if len(add) > 0 {
			groups[change{"+FLAGS.SILENT", strings.Join(add, " ")}] = append(groups[change{"+FLAGS.SILENT", strings.Join(add, " ")}], t.UID)
			changed[t.UID] = true
		}
		if len(remove) > 0 {
			groups[change{"-FLAGS.SILENT", strings.Join(remove, " ")}] = append(groups[change{"-FLAGS.SILENT", strings.Join(remove, " ")}], t.UID)
			changed[t.UID] = true
		}
		next := record{Folder: p.Source, UIDValidity: uv, UID: s.UID, TargetFolder: p.Target, TargetUV: tuv, TargetUID: t.UID,
			MessageID: s.MessageID, Date: s.Date.Unix(), Size: s.Size, Flags: s.Flags}
		if !known || rec.TargetUV != tuv || rec.TargetUID != t.UID || rec.TargetFolder != p.Target || !sameFlags(rec.Flags, s.Flags) {
			records = append(records, next)
		}
	}
	keys := make([]change, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].op+keys[i].flags < keys[j].op+keys[j].flags })
	for _, k := range keys {
		uids := groups[k]
		sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
		for len(uids) > 0 {
			n := min(len(uids), 500)
			if err := r.dst.store(ctx, uids[:n], k.op, strings.Fields(k.flags)); err != nil {
				return 0, fmt.Errorf("update flags on the target: %w", err)
			}
			uids = uids[n:]
		}
	}
	// Journaled only once the target holds the change.
	for _, rec := range records {
		if err := r.j.Put(rec); err != nil {
			return 0, err
		}
	}
	return len(changed), nil
}

// flagDelta is the change to make on the target (IMAP flags compare
// without regard to case).
func flagDelta(src, tgt, base []string, known bool) (add, remove []string) {
	in := func(list []string, f string) bool {
		for _, x := range list {
			if strings.EqualFold(x, f) {
				return true
			}
		}
		return false
	}
	for _, f := range src {
		if in(tgt, f) {
			continue
		}
		if !known || !in(base, f) {
			add = append(add, f)
		}
	}
	if known {
		for _, f := range base {
			if !in(src, f) && in(tgt, f) {
				remove = append(remove, f)
			}
		}
	}
	sort.Strings(add)
	sort.Strings(remove)
	return add, remove
}

func sameFlags(a, b []string) bool {
	add, remove := flagDelta(a, b, nil, false)
	add2, _ := flagDelta(b, a, nil, false)
	return len(add) == 0 && len(remove) == 0 && len(add2) == 0
}
