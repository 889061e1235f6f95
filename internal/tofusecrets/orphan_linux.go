package tofusecrets

import (
	"runtime"
	"syscall"
)

// stopWithParent asks the kernel to send SIGTERM to OpenTofu when the
// wrapper dies, even by SIGKILL (no handler runs then): an apply must not
// go on unattended. The signal follows the thread that started the child,
// so the caller keeps that thread until OpenTofu has exited; the returned
// function releases it.
func stopWithParent(attr *syscall.SysProcAttr) (release func()) {
	runtime.LockOSThread()
	attr.Pdeathsig = syscall.SIGTERM
	return runtime.UnlockOSThread
}
