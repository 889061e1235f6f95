//go:build !linux

package tofusecrets

import "syscall"

// stopWithParent: only Linux has a parent-death signal; elsewhere a killed
// wrapper leaves OpenTofu to finish (the next run removes the clear files).
func stopWithParent(*syscall.SysProcAttr) (release func()) { return func() {} }
