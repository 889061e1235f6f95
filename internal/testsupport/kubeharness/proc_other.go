//go:build !linux

package kubeharness

import (
	"os"
	"syscall"
)

// sysProcAttr: outside Linux the harness only manages the process itself.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(p *os.Process) { _ = p.Kill() }

func kill(p *os.Process) { _ = p.Kill() }
