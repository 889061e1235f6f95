package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/mailmigrate"
)

// Passwords come from the environment or from files, never from flags:
// a command line is readable by every user of the machine.
const (
	miabAdminPasswordEnv    = "MIAB_ADMIN_PASSWORD"
	mailSourceMasterPassEnv = "MAIL_SOURCE_MASTER_PASSWORD"
	mailTargetMasterPassEnv = "MAIL_TARGET_MASTER_PASSWORD"
	defaultAccountsFile     = "stacks/platform/mail-accounts.auto.tfvars.json"
)

func migrateMailCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mail",
		Short: "Move every mailbox from Mail-in-a-Box to Mailu: accounts first, then the mail (see docs/migration-mail.md)",
	}
	cmd.AddCommand(migrateMailAccountsCmd(), migrateMailCopyCmd())
	return cmd
}

type migrateMailAccountsOptions struct {
	box, domain, out, adminUser, adminURL, ca string
	skipOtherDomains, skipUnsupported         bool
}

func migrateMailAccountsCmd() *cobra.Command {
	o := migrateMailAccountsOptions{}
	cmd := &cobra.Command{
		Use:     "accounts --box box.fullfrontend.be --domain fullfrontend.be --admin-user alice@fullfrontend.be",
		Short:   "Write the stack's mail accounts file (users and aliases) from Mail-in-a-Box's admin API",
		Example: `  infra migrate mail accounts --box box.fullfrontend.be --domain fullfrontend.be --admin-user alice@fullfrontend.be`,
		Long: `Reads the users and aliases of Mail-in-a-Box (https://<box>/admin/mail/users
and /admin/mail/aliases, as an admin, password in MIAB_ADMIN_PASSWORD) and
writes the platform stack's data file (mail_users, mail_aliases), keyed by
local part of --domain. An existing file is merged: its entries are kept as
they are (a difference from the box is reported), new ones added. Aliases
Mail-in-a-Box makes itself (postmaster, admin, abuse to administrator@<box>)
and addresses on the box's own host name are reported and not copied.
Addresses on other domains, catch-alls and whole-domain forwards stop the
command (the stack cannot hold them) unless --skip-other-domains or
--skip-unsupported say to write the rest. Prints the counts on the box,
written and skipped with reasons; they must add up.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return migrateMailAccounts(c.Context(), o, os.Getenv(miabAdminPasswordEnv), c.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.box, "box", "", "Mail-in-a-Box host name, for example box.fullfrontend.be")
	f.StringVar(&o.domain, "domain", "fullfrontend.be", "root domain: the mail domain the stack holds")
	f.StringVar(&o.out, "out", defaultAccountsFile, "the stack's data file to write (merged when it exists)")
	f.StringVar(&o.adminUser, "admin-user", "", "an admin of the box (its e-mail address), or the API key of /var/lib/mailinabox/api.key")
	f.StringVar(&o.adminURL, "admin-url", "", "admin API root instead of https://<box>/admin (http only to 127.0.0.1, for an SSH tunnel)")
	f.StringVar(&o.ca, "ca", "", "PEM file of the CA that signed the box's certificate, for a box without a public one")
	f.BoolVar(&o.skipOtherDomains, "skip-other-domains", false, "write the rest when some addresses are on other domains (create those in Mailu by hand)")
	f.BoolVar(&o.skipUnsupported, "skip-unsupported", false, "write the rest when some aliases are catch-alls or whole-domain forwards (set those up in Mailu by hand)")
	return cmd
}

// adminURL is the admin API root; the password travels in clear over
// plain HTTP, so only to this machine (a tunnel to the box).
func (o migrateMailAccountsOptions) apiURL() (string, error) {
	if o.adminURL == "" {
		if !hostRe.MatchString(o.box) {
			return "", fmt.Errorf("give --box (Mail-in-a-Box's host name, for example box.fullfrontend.be) or --admin-url")
		}
		return "https://" + o.box + "/admin", nil
	}
	u, err := url.Parse(o.adminURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("--admin-url %q is not a URL such as https://box.fullfrontend.be/admin", o.adminURL)
	}
	if u.Scheme == "https" {
		return o.adminURL, nil
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return o.adminURL, nil
		}
	}
	return "", fmt.Errorf("--admin-url %q: https, or http to 127.0.0.1 only (the admin password would cross the network in clear)", o.adminURL)
}

func migrateMailAccounts(ctx context.Context, o migrateMailAccountsOptions, password string, out io.Writer) error {
	api, err := o.apiURL()
	if err != nil {
		return err
	}
	if o.box == "" {
		return fmt.Errorf("give --box: administrator@<box> is where Mail-in-a-Box's own aliases go, and how they are recognised")
	}
	if o.adminUser == "" {
		return fmt.Errorf("give --admin-user (an admin's address on the box, or its API key)")
	}
	// The API key goes as the user name, without password.
	if password == "" && strings.Contains(o.adminUser, "@") {
		return fmt.Errorf("set %s to the password of %s (never on the command line)", miabAdminPasswordEnv, o.adminUser)
	}
	tlsConfig, err := loadCA(o.ca)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}}
	users, aliases, err := mailmigrate.MiaB{URL: api, User: o.adminUser, Password: password, Client: client}.Fetch(ctx)
	if err != nil {
		return err
	}
	_, err = mailmigrate.WriteAccounts(users, aliases, mailmigrate.AccountsOptions{
		Box: o.box, Domain: o.domain, SkipOtherDomains: o.skipOtherDomains, SkipUnsupported: o.skipUnsupported,
		File: o.out, Out: out,
	})
	return err
}

type migrateMailCopyOptions struct {
	sourceHost, targetHost       string
	users                        []string
	all                          bool
	accounts, domain             string
	masterUser, masterSep        string
	sourcePasswords              string
	targetMasterUser             string
	targetPasswords              string
	sourceCA, targetCA, stateDir string
}

func migrateMailCopyCmd() *cobra.Command {
	o := migrateMailCopyOptions{}
	cmd := &cobra.Command{
		Use:     "copy --source-host box.fullfrontend.be:993 --target-host mail.fullfrontend.be:993 --all --source-master-user migrator --target-passwords /dev/shm/mail-passwords.json",
		Short:   "Copy every folder of each mailbox over IMAP from Mail-in-a-Box to Mailu, resumable, with counts per folder",
		Example: `  infra migrate mail copy --source-host box.fullfrontend.be:993 --target-host mail.fullfrontend.be:993 --all --source-master-user migrator --target-passwords /dev/shm/mail-passwords.json`,
		Long: `Copies every folder of each account from the source IMAP server to the
target (implicit TLS, certificates verified; --source-ca/--target-ca trust
only the CA of that file instead of the system's): nested folders and non-ASCII names, the hierarchy
separator translated, Sent/Drafts/Trash/Junk/Archive mapped by their
special use (Mail-in-a-Box's Spam goes to Mailu's Junk), flags, keywords
and received dates kept. Never writes to the source (EXAMINE, BODY.PEEK).

Resumable and idempotent: a journal per account in --state-dir, and the
target's own messages (Message-ID + received date + size) so that even
without the journal nothing is copied twice. A second run (the delta after
the MX switch) copies the new mail and carries over flag changes made on
the source, keeping those the user made on the target.

Prints per folder the count on the source, on the target before and after;
a source message missing on the target fails the command and names the
folder.

Logins: source as a Dovecot master user (--source-master-user, password in
MAIL_SOURCE_MASTER_PASSWORD) or per user (--source-passwords FILE); target
per user (--target-passwords FILE, the stack's mail_initial_passwords), or
as a master user (--target-master-user, MAIL_TARGET_MASTER_PASSWORD: to copy
back to the box when going back).
Password files are JSON objects address -> password.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return migrateMailCopy(c.Context(), o, os.Getenv(mailSourceMasterPassEnv), os.Getenv(mailTargetMasterPassEnv), c.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.sourceHost, "source-host", "", "source IMAP server host:port (box.fullfrontend.be:993)")
	f.StringVar(&o.targetHost, "target-host", "", "target IMAP server host:port (mail.fullfrontend.be:993)")
	f.StringArrayVar(&o.users, "user", nil, "address of a mailbox to copy (repeatable)")
	f.BoolVar(&o.all, "all", false, "every enabled user of --accounts")
	f.StringVar(&o.accounts, "accounts", defaultAccountsFile, "the stack's mail accounts file, for --all")
	f.StringVar(&o.domain, "domain", "fullfrontend.be", "root domain of the accounts file's users, for --all")
	f.StringVar(&o.masterUser, "source-master-user", "", "Dovecot master user on the source (password in "+mailSourceMasterPassEnv+")")
	f.StringVar(&o.masterSep, "master-separator", "*", "Dovecot's auth_master_user_separator on the source")
	f.StringVar(&o.sourcePasswords, "source-passwords", "", "JSON file address -> password for the source, instead of a master user")
	f.StringVar(&o.targetPasswords, "target-passwords", "", "JSON file address -> password for the target (tofu output -json mail_initial_passwords)")
	f.StringVar(&o.targetMasterUser, "target-master-user", "", "Dovecot master user on the target instead of --target-passwords (password in "+mailTargetMasterPassEnv+"): to copy back to the box when going back")
	f.StringVar(&o.sourceCA, "source-ca", "", "PEM file of a CA to trust for the source's certificate (default: the system's)")
	f.StringVar(&o.targetCA, "target-ca", "", "PEM file of a CA to trust for the target's certificate (default: the system's)")
	f.StringVar(&o.stateDir, "state-dir", "", "journal directory (default ~/.local/state/fullfrontend-infra/mail)")
	return cmd
}

// readPasswords reads a JSON object address -> password.
func readPasswords(path, what string, warn io.Writer) (map[string]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "warning: %s is readable by other users (mode %v): make such files with umask 077, in /dev/shm, and delete them afterwards\n", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s %s: not a JSON object address -> password: %w", what, path, err)
	}
	return m, nil
}

// lookup finds an account's password by address, else by local part
// (the stack's maps may be keyed either way).
func lookup(m map[string]string, addr string) (string, bool) {
	if p, ok := m[addr]; ok {
		return p, true
	}
	local, _, _ := strings.Cut(addr, "@")
	p, ok := m[local]
	return p, ok
}

func loadCA(path string) (*tls.Config, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return &tls.Config{RootCAs: pool}, nil
}

func (o migrateMailCopyOptions) plan(masterPw, targetMasterPw string, warn io.Writer) (mailmigrate.CopyOptions, error) {
	var co mailmigrate.CopyOptions
	for _, h := range []struct{ flag, v string }{{"--source-host", o.sourceHost}, {"--target-host", o.targetHost}} {
		host, port, err := net.SplitHostPort(h.v)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 || !hostRe.MatchString(host) {
			return co, fmt.Errorf("give %s as host:port, for example box.fullfrontend.be:993 (IMAP over TLS)", h.flag)
		}
	}
	addrs := append([]string{}, o.users...)
	var disabled []string
	switch {
	case o.all && len(o.users) > 0:
		return co, fmt.Errorf("give --user or --all, not both")
	case o.all:
		f, err := mailmigrate.ReadAccountsFile(o.accounts)
		if err != nil {
			return co, err
		}
		for local, u := range f.Users {
			if u.Enabled {
				addrs = append(addrs, local+"@"+o.domain)
			} else {
				disabled = append(disabled, local+"@"+o.domain)
			}
		}
	case len(o.users) == 0:
		return co, fmt.Errorf("give --user ADDRESS (repeatable) or --all (every enabled user of %s)", o.accounts)
	}
	sort.Strings(addrs)
	sort.Strings(disabled)
	for _, d := range disabled {
		fmt.Fprintf(warn, "%s: disabled in the accounts file (archived on the box): not copied\n", d)
	}
	if len(addrs) == 0 {
		return co, fmt.Errorf("no enabled user in %s", o.accounts)
	}
	for _, a := range addrs {
		if !strings.Contains(a, "@") {
			return co, fmt.Errorf("--user %q: give the full address (alice@fullfrontend.be)", a)
		}
	}
	var srcPw map[string]string
	switch {
	case o.masterUser != "" && o.sourcePasswords != "":
		return co, fmt.Errorf("give --source-master-user or --source-passwords, not both")
	case o.masterUser != "":
		if masterPw == "" {
			return co, fmt.Errorf("set %s to the password of the master user %s (never on the command line)", mailSourceMasterPassEnv, o.masterUser)
		}
	case o.sourcePasswords != "":
		var err error
		if srcPw, err = readPasswords(o.sourcePasswords, "source passwords", warn); err != nil {
			return co, err
		}
	default:
		return co, fmt.Errorf("give --source-master-user (a Dovecot master user on the box, see docs/migration-mail.md) or --source-passwords FILE")
	}
	var dstPw map[string]string
	switch {
	case o.targetMasterUser != "" && o.targetPasswords != "":
		return co, fmt.Errorf("give --target-master-user or --target-passwords, not both")
	case o.targetMasterUser != "":
		if targetMasterPw == "" {
			return co, fmt.Errorf("set %s to the password of the master user %s (never on the command line)", mailTargetMasterPassEnv, o.targetMasterUser)
		}
	case o.targetPasswords == "":
		return co, fmt.Errorf("give --target-passwords FILE (APP_ENV=prod ./scripts/tofu-secrets.sh output -json mail_initial_passwords > /dev/shm/mail-passwords.json)")
	default:
		var err error
		if dstPw, err = readPasswords(o.targetPasswords, "target passwords", warn); err != nil {
			return co, err
		}
	}
	var missing []string
	for _, a := range addrs {
		acc := mailmigrate.Account{Address: a, TargetUser: a}
		if o.masterUser != "" {
			acc.SourceUser, acc.SourcePassword = a+o.masterSep+o.masterUser, masterPw
		} else {
			acc.SourceUser = a
			if acc.SourcePassword, _ = lookup(srcPw, a); acc.SourcePassword == "" {
				missing = append(missing, a+" (source)")
			}
		}
		if o.targetMasterUser != "" {
			acc.TargetUser, acc.TargetPassword = a+o.masterSep+o.targetMasterUser, targetMasterPw
		} else if acc.TargetPassword, _ = lookup(dstPw, a); acc.TargetPassword == "" {
			missing = append(missing, a+" (target)")
		}
		co.Accounts = append(co.Accounts, acc)
	}
	if len(missing) > 0 {
		return co, fmt.Errorf("no password for %s: nothing was copied; complete the password files", strings.Join(missing, ", "))
	}
	srcTLS, err := loadCA(o.sourceCA)
	if err != nil {
		return co, err
	}
	dstTLS, err := loadCA(o.targetCA)
	if err != nil {
		return co, err
	}
	co.Source = mailmigrate.Server{Addr: o.sourceHost, TLS: srcTLS}
	co.Target = mailmigrate.Server{Addr: o.targetHost, TLS: dstTLS}
	co.StateDir = o.stateDir
	if co.StateDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return co, fmt.Errorf("locate the state directory: %w (give --state-dir)", err)
		}
		co.StateDir = filepath.Join(home, ".local", "state", "fullfrontend-infra", "mail")
	}
	return co, nil
}

func migrateMailCopy(ctx context.Context, o migrateMailCopyOptions, masterPw, targetMasterPw string, out io.Writer) error {
	co, err := o.plan(masterPw, targetMasterPw, out)
	if err != nil {
		return err
	}
	co.Out = out
	_, err = mailmigrate.Copy(ctx, co)
	return err
}
