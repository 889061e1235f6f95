package toolchain

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// AptPackages are the Debian packages the tests need.
func AptPackages() []string {
	return []string{
		"git",
		"make",
		"shellcheck", // lints the thin shell entry points
		// The data layer's scripts run against real servers (internal/testsupport/dbtest):
		// Debian 12 ships PostgreSQL 15 and MariaDB 10.11, older than the
		// images (17, 11.4); see modules/database/README.md.
		"postgresql",
		"mariadb-server",
		"mariadb-client",
		"rclone", // the S3 client of the backup scripts
		// infra migrate wordpress is tested on a site that WordPress itself
		// builds (internal/wpmigrate/testdata/build-site.php) and whose
		// rewritten serialized values PHP's unserialize() checks.
		"php-cli",
		"php-mysql",
		"wordpress",
		// The prefork MPM of the php:*-apache images, run with the planned
		// mpm_prefork.conf of WordPress and Nextcloud (stacks/apache_test.go).
		"apache2",
		// infra migrate dav is tested between two real CalDAV/CardDAV
		// servers (internal/davmigrate): Debian's Radicale.
		"radicale",
		// Mailu's accounts Job script (modules/apps/mailu/files/accounts.py).
		"python3",
		// infra migrate mail is tested between two real IMAP servers
		// (internal/testsupport/dovecottest): Debian's Dovecot, the server
		// of both Mail-in-a-Box and Mailu; its doveadm reads the copy back.
		"dovecot-imapd",
		// Mailu's relay decision is run on a real Postfix
		// (internal/testsupport/postfixtest); its SASL client logs in to
		// the relay with the PLAIN mechanism of libsasl2-modules.
		"postfix",
		"libsasl2-modules",
		// Dovecot's sieve forwards and vacation replies, delivered over
		// LMTP, leave through that Postfix.
		"dovecot-lmtpd",
		"dovecot-sieve",
	}
}

// missingPackages asks dpkg which of pkgs are not installed.
func missingPackages(ctx context.Context, pkgs []string) []string {
	var missing []string
	for _, p := range pkgs {
		out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Status}", p).Output()
		if err != nil || !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	return missing
}

// InstallApt installs the missing Debian packages with apt-get. It needs root;
// as another user it names the command to run instead of failing half-way.
func InstallApt(ctx context.Context, out io.Writer, pkgs []string) error {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return fmt.Errorf("dpkg-query not found: install these packages with your system's package manager: %s", strings.Join(pkgs, " "))
	}
	missing := missingPackages(ctx, pkgs)
	if len(missing) == 0 {
		fmt.Fprintf(out, "tools: Debian packages present (%s)\n", strings.Join(pkgs, ", "))
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("Debian packages missing: %s; run: sudo apt-get update && sudo apt-get install -y %s",
			strings.Join(missing, " "), strings.Join(missing, " "))
	}
	fmt.Fprintf(out, "tools: apt-get install %s\n", strings.Join(missing, " "))
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = out, out
		return cmd.Run()
	}
	if err := run("update", "-q"); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := run(append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)...); err != nil {
		return fmt.Errorf("apt-get install %s: %w", strings.Join(missing, " "), err)
	}
	return nil
}
