//go:build unix

package agent_test

import (
	"syscall"

	"github.com/memorywatch/memory-watch/agent"
)

// Without any HTTP server: `kill -USR1 <pid>` now returns free heap to the OS.
func ExampleHandleSignal() {
	stop := agent.HandleSignal(syscall.SIGUSR1)
	defer stop()
	// ... the program's work ...
}
