//go:build unix

package autostart_test

import (
	"os"
	"syscall"
)

var freeSignal os.Signal = syscall.SIGUSR1
