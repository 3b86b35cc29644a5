//go:build unix

package autostart

import (
	"os"
	"syscall"
)

// freeSignal makes `kill -USR1 <pid>` run FreeOSMemory.
var freeSignal os.Signal = syscall.SIGUSR1
