package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/davmigrate"
)

// Passwords come from the environment, never from flags: a command line is
// readable by every user of the machine.
const (
	davSourcePasswordEnv = "DAV_SOURCE_PASSWORD"
	davTargetPasswordEnv = "DAV_TARGET_PASSWORD"
)

type migrateDAVOptions struct {
	box, sourceURL, sourceUser   string
	cloud, targetURL, targetUser string
	stateDir                     string
}

var hostRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$`)

func migrateDAVCmd() *cobra.Command {
	o := migrateDAVOptions{}
	cmd := &cobra.Command{
		Use:     "dav --box box.fullfrontend.be --source-user alice@fullfrontend.be --target-user alice",
		Short:   "Copy one user's address books and calendars from Mail-in-a-Box to Nextcloud, with counts per collection",
		Example: `  infra migrate dav --box box.fullfrontend.be --source-user alice@fullfrontend.be --target-user alice`,
		Long: `Copies every address book and calendar of one user from Mail-in-a-Box's
CardDAV/CalDAV (https://<box>/cloud/remote.php/dav/) to the cluster's Nextcloud
(https://cloud.<root_domain>/remote.php/dav/), creating missing collections with
their names and colours. Prints, per collection, the count on the source and on
the target; a source item missing on the target fails the command and names the
collection. Resumable and idempotent: a journal in --state-dir records what was
copied, and a target item edited since is kept, or backed up before the source
overwrites it. The source is only read.

Passwords (app passwords of that user on each side) come from the environment:
DAV_SOURCE_PASSWORD and DAV_TARGET_PASSWORD. See docs/migration-dav.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return migrateDAV(c.Context(), o, os.Getenv(davSourcePasswordEnv), os.Getenv(davTargetPasswordEnv), c.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.box, "box", "", "Mail-in-a-Box host name, for example box.fullfrontend.be")
	f.StringVar(&o.sourceURL, "source-url", "", "source DAV root instead of --box (https://<box>/cloud/remote.php/dav/)")
	f.StringVar(&o.sourceUser, "source-user", "", "user on Mail-in-a-Box (the full e-mail address)")
	f.StringVar(&o.cloud, "cloud", "cloud.fullfrontend.be", "Nextcloud host name (cloud.<root_domain>)")
	f.StringVar(&o.targetURL, "target-url", "", "target DAV root instead of --cloud (https://cloud.<root_domain>/remote.php/dav/)")
	f.StringVar(&o.targetUser, "target-user", "", "user on Nextcloud")
	f.StringVar(&o.stateDir, "state-dir", "", "journal and backups of replaced items (default ~/.local/state/fullfrontend-infra/dav)")
	return cmd
}

func (o migrateDAVOptions) endpoints(srcPw, dstPw string) (davmigrate.Endpoint, davmigrate.Endpoint, error) {
	var src, dst davmigrate.Endpoint
	switch {
	case o.sourceURL != "":
		src.URL = o.sourceURL
	case hostRe.MatchString(o.box):
		src.URL = davmigrate.MailInABoxURL(o.box)
	default:
		return src, dst, fmt.Errorf("give --box (Mail-in-a-Box's host name, for example box.fullfrontend.be) or --source-url")
	}
	switch {
	case o.targetURL != "":
		dst.URL = o.targetURL
	case hostRe.MatchString(o.cloud):
		dst.URL = davmigrate.NextcloudURL(o.cloud)
	default:
		return src, dst, fmt.Errorf("--cloud %q is not a host name such as cloud.fullfrontend.be", o.cloud)
	}
	if o.sourceUser == "" || o.targetUser == "" {
		return src, dst, fmt.Errorf("give --source-user and --target-user (the same person on both sides)")
	}
	if srcPw == "" || dstPw == "" {
		return src, dst, fmt.Errorf("set %s and %s to that user's app passwords on Mail-in-a-Box and on Nextcloud (never on the command line)", davSourcePasswordEnv, davTargetPasswordEnv)
	}
	src.User, src.Password = o.sourceUser, srcPw
	dst.User, dst.Password = o.targetUser, dstPw
	return src, dst, nil
}

func migrateDAV(ctx context.Context, o migrateDAVOptions, srcPw, dstPw string, out io.Writer) error {
	src, dst, err := o.endpoints(srcPw, dstPw)
	if err != nil {
		return err
	}
	if o.stateDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("locate the state directory: %w (give --state-dir)", err)
		}
		o.stateDir = filepath.Join(home, ".local", "state", "fullfrontend-infra", "dav")
	}
	_, err = davmigrate.Run(ctx, davmigrate.Options{Source: src, Target: dst, StateDir: o.stateDir, Out: out})
	return err
}
