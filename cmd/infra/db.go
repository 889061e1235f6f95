package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// dbEngines maps an engine to what `infra db ensure` needs of it: the pod
// and container of its StatefulSet and the in-pod command that runs the
// same init.sh as the init Job, reading one app from stdin. The superuser
// password comes from the container's own environment, over the local
// socket: it never crosses kubectl.
var dbEngines = map[string]struct {
	pod, container, inPod string
}{
	"postgres": {"postgres-0", "postgres", `PGHOST=/var/run/postgresql PGUSER=postgres PGPASSWORD="$POSTGRES_PASSWORD" exec sh /scripts/init.sh -`},
	"mariadb":  {"mariadb-0", "mariadb", `MARIADB_USER=root MARIADB_PASSWORD="$MARIADB_ROOT_PASSWORD" exec sh /scripts/init.sh -`},
}

var (
	appNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$`)
	sqlNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// dbEnsureOptions are the flags of `infra db ensure`.
type dbEnsureOptions struct {
	engine       string
	appNamespace string // default: the app's name
	dataNS       string
	kubeconfig   string
	context      string
	kubectl      string
}

// dbCredentials is one app's entry, as its Secret holds it.
type dbCredentials struct {
	Database, User, Password string
}

// validate applies the rules of the credentials maps and of init.sh.
func (c dbCredentials) validate() error {
	if !sqlNameRe.MatchString(c.Database) {
		return fmt.Errorf("database %q: want a lower-case letter then lower-case letters, digits or _, at most 63", c.Database)
	}
	if !sqlNameRe.MatchString(c.User) {
		return fmt.Errorf("user %q: want a lower-case letter then lower-case letters, digits or _, at most 63", c.User)
	}
	if c.Password == "" || strings.ContainsAny(c.Password, "\n\r\x00") {
		return fmt.Errorf("password of %s: empty or with a line break", c.User)
	}
	return nil
}

// stdin is what init.sh - reads: database, user, password, one per line.
func (c dbCredentials) stdin() string {
	return c.Database + "\n" + c.User + "\n" + c.Password + "\n"
}

// parseAppSecret decodes `kubectl get secret -o json` of <app>-<engine>.
func parseAppSecret(raw []byte) (dbCredentials, error) {
	var s struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return dbCredentials{}, fmt.Errorf("decode secret: %w", err)
	}
	get := func(k string) (string, error) {
		v, ok := s.Data[k]
		if !ok {
			return "", fmt.Errorf("secret has no %q key", k)
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return "", fmt.Errorf("secret key %q: %w", k, err)
		}
		return string(b), nil
	}
	var c dbCredentials
	var err error
	if c.Database, err = get("database"); err != nil {
		return c, err
	}
	if c.User, err = get("username"); err != nil {
		return c, err
	}
	if c.Password, err = get("password"); err != nil {
		return c, err
	}
	return c, c.validate()
}

// kubectlArgs prefixes args with the kubeconfig and context flags.
func (o dbEnsureOptions) kubectlArgs(args ...string) []string {
	var out []string
	if o.kubeconfig != "" {
		out = append(out, "--kubeconfig", o.kubeconfig)
	}
	if o.context != "" {
		out = append(out, "--context", o.context)
	}
	return append(out, args...)
}

// secretArgs reads the app's Secret; execArgs runs init.sh in the server pod.
func (o dbEnsureOptions) secretArgs(app string) []string {
	ns := o.appNamespace
	if ns == "" {
		ns = app
	}
	return o.kubectlArgs("get", "secret", app+"-"+o.engine, "--namespace", ns, "--output", "json")
}

func (o dbEnsureOptions) execArgs() []string {
	e := dbEngines[o.engine]
	return o.kubectlArgs("exec", "--stdin", "--namespace", o.dataNS, e.pod, "--container", e.container, "--", "sh", "-c", e.inPod)
}

func (o dbEnsureOptions) validate(app string) error {
	if _, ok := dbEngines[o.engine]; !ok {
		return fmt.Errorf("--engine must be postgres or mariadb, not %q", o.engine)
	}
	if !appNameRe.MatchString(app) {
		return fmt.Errorf("app %q: want an app name of modules/environment/apps.yaml (lower-case letters, digits, hyphens)", app)
	}
	return nil
}

// runKubectl runs kubectl with stdin, returning stdout; stderr goes to errOut.
type runKubectl func(ctx context.Context, args []string, stdin io.Reader, errOut io.Writer) ([]byte, error)

func execKubectl(bin string) runKubectl {
	return func(ctx context.Context, args []string, stdin io.Reader, errOut io.Writer) ([]byte, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		var out bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, errOut
		if err := cmd.Run(); err != nil {
			return out.Bytes(), fmt.Errorf("kubectl %s: %w", kubectlVerb(args), err)
		}
		return out.Bytes(), nil
	}
}

// kubectlVerb is the first argument after the global flags (get, exec).
func kubectlVerb(args []string) string {
	for i := 0; i < len(args); i++ {
		if args[i] == "--kubeconfig" || args[i] == "--context" {
			i++
			continue
		}
		return args[i]
	}
	return ""
}

// dbEnsure reads the app's credentials from its Secret and runs init.sh in
// the server pod: creates the database and user if missing, applies the
// password. The password travels on kubectl's stdin only.
func dbEnsure(ctx context.Context, o dbEnsureOptions, app string, run runKubectl, out, errOut io.Writer) error {
	if err := o.validate(app); err != nil {
		return err
	}
	raw, err := run(ctx, o.secretArgs(app), nil, errOut)
	if err != nil {
		return fmt.Errorf("read the Secret %s-%s (apply the stack first: the app's module writes it, from the SOPS credentials or generated ones): %w", app, o.engine, err)
	}
	creds, err := parseAppSecret(raw)
	if err != nil {
		return fmt.Errorf("Secret %s-%s: %w", app, o.engine, err)
	}
	res, err := run(ctx, o.execArgs(), strings.NewReader(creds.stdin()), errOut)
	out.Write(res)
	if err != nil {
		return fmt.Errorf("init.sh in %s/%s: %w", o.dataNS, dbEngines[o.engine].pod, err)
	}
	return nil
}

func dbCmd() *cobra.Command {
	db := &cobra.Command{
		Use:   "db",
		Short: "Database operations on a running cluster",
	}
	o := dbEnsureOptions{}
	ensure := &cobra.Command{
		Use:     "ensure <app>",
		Short:   "Create an app's database and user if missing and apply its password, on the running server",
		Example: `  infra db ensure n8n`,
		Long: `Runs the init Job's own script (modules/database/files/<engine>/init.sh)
inside the database pod for one app: creates its database and user IF NOT
EXISTS, grants, applies the password; never drops anything. The credentials
come from the app's Secret <app>-<engine> in its namespace, which the app's
module writes on "tofu apply" (from postgres_app_credentials /
mariadb_app_credentials, or generated); the password goes through kubectl's
stdin only. See docs/add-database.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			bin := o.kubectl
			if bin == "" {
				bin = "kubectl"
			}
			if o.kubeconfig == "" {
				o.kubeconfig = os.Getenv("KUBECONFIG")
			}
			return dbEnsure(c.Context(), o, args[0], execKubectl(bin), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	ensure.Flags().StringVar(&o.engine, "engine", "postgres", "postgres or mariadb")
	ensure.Flags().StringVar(&o.appNamespace, "app-namespace", "", "namespace of the app's Secret (default: the app's name)")
	ensure.Flags().StringVar(&o.dataNS, "namespace", "data", "namespace of the database StatefulSet")
	ensure.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then kubectl's default)")
	ensure.Flags().StringVar(&o.context, "context", "", "kubeconfig context (default: the current one)")
	ensure.Flags().StringVar(&o.kubectl, "kubectl", "", "kubectl binary (default: kubectl from PATH)")
	db.AddCommand(ensure)
	return db
}
