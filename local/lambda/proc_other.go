//go:build !linux

package lambdalocal

import "os/exec"

// bindToParent does nothing where the kernel cannot tie a child's life to
// its parent.
func bindToParent(cmd *exec.Cmd) {}
