//go:build unix

package agent

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// kill sends SIGUSR1 to this test process.
func kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
}

// waitRuns waits until FreeOSMemory has completed want runs in total.
func waitRuns(t *testing.T, want uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); runs.Load() < want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("FreeOSMemory ran %d times, want %d", runs.Load(), want)
		}
	}
}

// assertIgnored checks that SIGUSR1 no longer runs FreeOSMemory. Its own
// Notify keeps the signal from killing the test process.
func assertIgnored(t *testing.T) {
	t.Helper()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	defer signal.Stop(ch)
	resetGate(t)
	n := runs.Load()
	kill(t)
	<-ch
	time.Sleep(100 * time.Millisecond)
	if runs.Load() != n {
		t.Error("FreeOSMemory ran after the signal handler was stopped")
	}
}

func TestHandleSignal(t *testing.T) {
	resetGate(t)
	n := runs.Load()
	forced := TakeSnapshot().GC.ForcedCycles
	stop := HandleSignal(syscall.SIGUSR1)
	kill(t)
	waitRuns(t, n+1)
	if got := TakeSnapshot().GC.ForcedCycles; got <= forced {
		t.Errorf("forcedCycles %d -> %d: no forced GC after SIGUSR1", forced, got)
	}
	// A second signal within a second is dropped by the rate limit.
	kill(t)
	time.Sleep(200 * time.Millisecond)
	if runs.Load() != n+1 {
		t.Errorf("second signal within MinInterval ran FreeOSMemory")
	}
	stop()
	stop() // idempotent
	assertIgnored(t)
}

func TestListenSignal(t *testing.T) {
	a := listen(t, Options{Signal: syscall.SIGUSR1, MinInterval: time.Millisecond})
	resetGate(t)
	n := runs.Load()
	for i := uint64(1); i <= 3; i++ {
		kill(t)
		waitRuns(t, n+i)
		time.Sleep(5 * time.Millisecond) // let MinInterval pass
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	assertIgnored(t)
}
