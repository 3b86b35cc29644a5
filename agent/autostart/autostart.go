// Package autostart starts the Memory Watch agent when it is imported:
//
//	import _ "github.com/memorywatch/memory-watch/agent/autostart"
//
// The agent listens on 127.0.0.1 at a free port, writes its port file (see
// package agent), and on Unix runs FreeOSMemory when the process receives
// SIGUSR1. It runs until the process exits. If it cannot start, it prints one
// line to standard error and the program carries on.
package autostart

import (
	"fmt"
	"os"

	"github.com/memorywatch/memory-watch/agent"
)

func init() {
	if _, err := agent.Listen(agent.Options{Signal: freeSignal}); err != nil {
		fmt.Fprintf(os.Stderr, "%v (autostart: agent not started)\n", err)
	}
}
