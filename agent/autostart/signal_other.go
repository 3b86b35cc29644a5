//go:build !unix

package autostart

import "os"

// freeSignal is nil: Windows (and other non-Unix systems) have no SIGUSR1.
var freeSignal os.Signal
