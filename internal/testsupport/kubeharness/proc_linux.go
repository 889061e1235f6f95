package kubeharness

import (
	"os"
	"syscall"
)

// sysProcAttr puts the child in its own process group, so that stopping it
// reaches anything it spawned, and has the kernel kill it if the test binary
// dies without running its cleanups (a panic or a go test -timeout).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }

func kill(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
