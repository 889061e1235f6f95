package stacks

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"fullfrontend.be/infra/internal/planscan"
	"fullfrontend.be/infra/internal/testsupport/testenv"
)

// apacheWorkers are the PHP applications whose Apache the platform bounds
// (modules/apache-prefork): the ConfigMap of their mpm_prefork.conf, the
// container that runs Apache, and PHP's memory_limit in that image.
var apacheWorkers = []struct {
	configMap, container string
	phpMiB               int64
}{
	{"wordpress-apache", "wordpress", 128},
	{"nextcloud-apache", "nextcloud", 512},
}

// checkApacheWorkers runs Debian's real Apache (the MPM of the php:*-apache
// images) with each planned mpm_prefork.conf, holds more connections open
// than it allows workers, and checks that Apache never starts more worker
// processes than the container's memory limit holds at PHP's memory_limit
// (plus 32 MiB each): a burst then waits in the queue instead of getting
// the pod OOM-killed.
func checkApacheWorkers(t *testing.T, p *planscan.Plan) {
	apache := testenv.SystemTool(t, "apache2")
	ws, err := planscan.Workloads(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apacheWorkers {
		t.Run(a.container, func(t *testing.T) {
			conf := plannedConfigMap(t, p, a.configMap, "mpm_prefork.conf")
			limit := containerLimit(t, ws, a.container)
			want := int(limit >> 20 / (a.phpMiB + 32))
			if want < 2 {
				t.Fatalf("%s's memory limit (%d Mi) holds %d workers", a.container, limit>>20, want)
			}
			if got := runApache(t, apache, conf, want+4); got != want {
				t.Errorf("Apache ran %d workers with %s's mpm_prefork.conf, want %d (memory limit %d Mi / (%d + 32) MiB):\n%s",
					got, a.container, want, limit>>20, a.phpMiB, conf)
			}
		})
	}
}

func plannedConfigMap(t *testing.T, p *planscan.Plan, name, key string) string {
	t.Helper()
	for _, m := range p.Manifests {
		if m.Kind() == "ConfigMap" && m.Name() == name {
			data, _ := m.Object["data"].(map[string]any)
			if s, ok := data[key].(string); ok {
				return s
			}
		}
	}
	t.Fatalf("no ConfigMap %s with %s in the plan", name, key)
	return ""
}

func containerLimit(t *testing.T, ws []planscan.Workload, container string) int64 {
	t.Helper()
	for _, w := range ws {
		for _, c := range w.Containers {
			if c.Name == container && w.Steady() {
				return c.LimitMemory
			}
		}
	}
	t.Fatalf("no container %s in the plan", container)
	return 0
}

// runApache starts Apache with conf on loopback, opens conns connections
// that each keep a worker busy (an unfinished request line), and returns
// the most worker processes seen.
func runApache(t *testing.T, apache, conf string, conns int) int {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := os.WriteFile(filepath.Join(dir, "mpm_prefork.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`ServerName localhost
ServerRoot %[1]s
DefaultRuntimeDir %[1]s
PidFile %[1]s/apache.pid
ErrorLog %[1]s/error.log
Mutex file:%[1]s
Listen %[2]s
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
User nobody
Group nogroup
DocumentRoot %[1]s
Timeout 60
Include %[1]s/mpm_prefork.conf
`, dir, addr)
	if err := os.WriteFile(filepath.Join(dir, "httpd.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// Its own process group, so that its workers go with it.
	cmd := exec.Command(apache, "-f", filepath.Join(dir, "httpd.conf"), "-D", "FOREGROUND")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(open) < conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			if time.Now().After(deadline) {
				out, _ := os.ReadFile(filepath.Join(dir, "output.log"))
				log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
				t.Fatalf("Apache does not listen on %s: %v\n%s\n%s", addr, err, out, log)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\n")); err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	// Apache starts workers for waiting connections at up to 32 a second:
	// a few seconds show where it stops.
	most := 0
	for range 30 {
		most = max(most, children(t, cmd.Process.Pid))
		time.Sleep(200 * time.Millisecond)
	}
	return most
}

var ppidField = regexp.MustCompile(`^\d+ \(.*\) \S (\d+) `)

// children counts the processes whose parent is pid.
func children(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if m := ppidField.FindSubmatch(stat); m != nil && string(m[1]) == strconv.Itoa(pid) {
			n++
		}
	}
	return n
}
