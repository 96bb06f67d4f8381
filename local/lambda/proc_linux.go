package lambdalocal

import (
	"os/exec"
	"syscall"
)

// bindToParent makes the kernel kill a bootstrap process when the stack's
// process dies, even by SIGKILL, so that no orphaned instance survives a
// crash of the local stack.
func bindToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
