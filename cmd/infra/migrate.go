package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"fullfrontend.be/infra/internal/wpmigrate"
)

// migrateWordPressOptions are the flags of `infra migrate wordpress`.
type migrateWordPressOptions struct {
	dump, content    string
	oldURL, newURL   string
	also             []string
	database, prefix string
	dataNS, appNS    string
	kube             kubeFlags
}

// kubeFlags reach the cluster with kubectl.
type kubeFlags struct {
	kubeconfig, context, kubectl string
}

func (k kubeFlags) args(args ...string) []string {
	var out []string
	if k.kubeconfig != "" {
		out = append(out, "--kubeconfig", k.kubeconfig)
	}
	if k.context != "" {
		out = append(out, "--context", k.context)
	}
	return append(out, args...)
}

func (k kubeFlags) bin() string {
	if k.kubectl != "" {
		return k.kubectl
	}
	return "kubectl"
}

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Move an app's data from the old servers into the cluster"}
	o := migrateWordPressOptions{}
	wp := &cobra.Command{
		Use:     "wordpress --dump wordpress.sql.gz --wp-content wp-content.tar.gz --old-url https://old.example",
		Short:   "Load the Docker host's WordPress dump and wp-content into the cluster, with counts before and after",
		Example: `  infra migrate wordpress --dump wordpress.sql.gz --wp-content wp-content.tar.gz --old-url https://www.fullfrontend.be`,
		Long: `Loads a mysqldump of the old WordPress database into the cluster's MariaDB
(through a kubectl port-forward, as root), replaces the old site URL by the new
one without breaking PHP serialized values, swaps the tables into the app's
database atomically, and copies wp-content onto the WordPress PVC (through the
WordPress pod), only the files that differ. Prints the counts of posts, pages,
attachments, users, comments, options and wp-content files and bytes before
(artefacts) and after (cluster); any difference fails the command. A second
run changes nothing. See docs/migration-wordpress.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return migrateWordPress(c.Context(), o, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	f := wp.Flags()
	f.StringVar(&o.dump, "dump", "", "mysqldump of the WordPress database (plain or .gz)")
	f.StringVar(&o.content, "wp-content", "", "tar (or .tar.gz) of the old site's wp-content")
	f.StringVar(&o.oldURL, "old-url", "", "the old site's URL as its database holds it (siteurl), for example http://www.fullfrontend.be")
	f.StringVar(&o.newURL, "new-url", "https://fullfrontend.be", "the site's URL in the cluster (https://<root_domain>)")
	f.StringArrayVar(&o.also, "also", nil, "another host of the old site to rewrite like --old-url (repeat for several), for example old-shop.fullfrontend.be")
	f.StringVar(&o.database, "database", "wordpress", "the app's MariaDB database")
	f.StringVar(&o.prefix, "table-prefix", "wp_", "WordPress's table prefix ($table_prefix of the old wp-config.php)")
	f.StringVar(&o.dataNS, "data-namespace", "data", "namespace of the MariaDB StatefulSet")
	f.StringVar(&o.appNS, "namespace", "wordpress", "namespace of WordPress")
	f.StringVar(&o.kube.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig (prod: <repo>/.kube/config)")
	f.StringVar(&o.kube.context, "context", "", "kubeconfig context")
	f.StringVar(&o.kube.kubectl, "kubectl", "", "kubectl binary (default: kubectl on PATH)")
	cmd.AddCommand(wp, migrateDAVCmd())
	cmd.AddCommand(migrateContactsCmd(), migrateMailCmd())
	cmd.AddCommand(migrateDNSCmd())
	return cmd
}

var urlRe = regexp.MustCompile(`^https?://[^/\s]+(/[^\s]*)?$`)

func (o migrateWordPressOptions) validate() error {
	var missing []string
	for _, f := range []struct{ flag, v string }{{"--dump", o.dump}, {"--wp-content", o.content}, {"--old-url", o.oldURL}} {
		if f.v == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: see infra migrate wordpress --help", strings.Join(missing, ", "))
	}
	for _, u := range []string{o.oldURL, o.newURL} {
		if !urlRe.MatchString(u) {
			return fmt.Errorf("%q is not a site URL such as https://fullfrontend.be", u)
		}
	}
	for _, p := range []string{o.dump, o.content} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func migrateWordPress(ctx context.Context, o migrateWordPressOptions, out, errOut io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	// kubectl port-forward and kubectl exec write to it at the same time.
	errOut = &syncWriter{w: errOut}
	run := execKubectl(o.kube.bin())
	// The tables are loaded under the old site's prefix: the cluster's
	// WordPress must read that one, or it finds no installation.
	env, err := run(ctx, o.kube.args("get", "deployment", "wordpress", "--namespace", o.appNS, "--output",
		`jsonpath={.spec.template.spec.containers[?(@.name=="wordpress")].env[?(@.name=="WORDPRESS_TABLE_PREFIX")].value}`), nil, errOut)
	if err != nil {
		return fmt.Errorf("read the cluster's WordPress table prefix (deploy/wordpress in %s; is the stack applied?): %w", o.appNS, err)
	}
	clusterPrefix := strings.TrimSpace(string(env))
	if clusterPrefix == "" {
		clusterPrefix = "wp_" // the image's default
	}
	if clusterPrefix != o.prefix {
		return fmt.Errorf("--table-prefix is %s but the cluster's WordPress reads %s (WORDPRESS_TABLE_PREFIX of deploy/wordpress): it would find no installation; set wordpress_table_prefix = %q in stacks/platform, apply, then run this again", o.prefix, clusterPrefix, o.prefix)
	}
	raw, err := run(ctx, o.kube.args("get", "secret", "mariadb-superuser", "--namespace", o.dataNS, "--output", "jsonpath={.data.password}"), nil, errOut)
	if err != nil {
		return fmt.Errorf("read MariaDB's root password (Secret mariadb-superuser in %s; is the stack applied?): %w", o.dataNS, err)
	}
	pw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(pw) == 0 {
		return fmt.Errorf("Secret mariadb-superuser in %s holds no base64 password", o.dataNS)
	}
	password := string(pw)
	addr, stop, err := portForward(ctx, o.kube, o.dataNS, "svc/mariadb", 3306, errOut)
	if err != nil {
		return err
	}
	defer stop()
	db, err := wpmigrate.Connect(addr, "root", password)
	if err != nil {
		return err
	}
	defer db.Close()
	shell := func(ctx context.Context, script string, args []string, stdin io.Reader, stdout io.Writer) error {
		a := o.kube.args(append([]string{"exec", "--stdin", "--namespace", o.appNS, "deploy/wordpress", "--container", "wordpress", "--", "sh", "-c", script, "sh"}, args...)...)
		cmd := exec.CommandContext(ctx, o.kube.bin(), a...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, errOut
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kubectl exec in deploy/wordpress: %w", err)
		}
		return nil
	}
	_, err = wpmigrate.Run(ctx, wpmigrate.Options{
		DB: db, Database: o.database, Prefix: o.prefix,
		Dump: o.dump, Content: o.content, OldURL: o.oldURL, NewURL: o.newURL, Also: o.also,
		Files: wpmigrate.PodDir{Dir: "/var/www/html/wp-content", Shell: shell},
		Out:   out,
	})
	return err
}

// syncWriter serialises writes from several child processes' output copiers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

var forwardRe = regexp.MustCompile(`Forwarding from (127\.0\.0\.1:\d+) ->`)

// portForward runs kubectl port-forward on a free local port and returns
// the address once kubectl says it listens.
func portForward(ctx context.Context, k kubeFlags, ns, target string, port int, errOut io.Writer) (string, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, k.bin(), k.args("port-forward", "--address", "127.0.0.1", "--namespace", ns, target, fmt.Sprintf("0:%d", port))...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("kubectl port-forward: %w", err)
	}
	stop := func() { cancel(); _ = cmd.Wait() }
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := forwardRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case addr := <-found:
		return addr, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("kubectl port-forward to %s/%s did not listen within 30s", ns, target)
	}
}
