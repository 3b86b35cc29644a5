//go:build !windows

package agent

import (
	"os"
	"os/signal"
	"sync"
	"time"
)

// HandleSignal runs FreeOSMemory whenever sig arrives, at most once per second
// (the same limit as the HTTP endpoint), until stop is called. Receiving sig no
// longer has its default effect (for SIGUSR1: terminating the process) while
// the handler is installed. On Windows it does nothing.
func HandleSignal(sig os.Signal) (stop func()) {
	return handleSignal(sig, defaultMinInterval)
}

func handleSignal(sig os.Signal, minInterval time.Duration) (stop func()) {
	if sig == nil {
		return func() {}
	}
	ch := make(chan os.Signal, 1) // signals that arrive during a run coalesce
	done := make(chan struct{})
	signal.Notify(ch, sig)
	go func() {
		for {
			select {
			case <-ch:
				tryFree(minInterval) // a refused signal is simply dropped
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
		})
	}
}
