package agent

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// defaultMinInterval is the rate limit used by Handler, HandleSignal and a
// zero Options.MinInterval.
const defaultMinInterval = time.Second

// Release is the body of POST Prefix+"freeosmemory": the memory classes just
// before and just after debug.FreeOSMemory.
type Release struct {
	Before     Memory  `json:"before"`
	After      Memory  `json:"after"`
	Released   uint64  `json:"released"`   // After.HeapReleased - Before.HeapReleased, never negative
	DurationMs float64 `json:"durationMs"` // time spent in debug.FreeOSMemory
}

var (
	freeMu sync.Mutex    // one FreeOSMemory at a time, so Before and After belong to one run
	runs   atomic.Uint64 // completed FreeOSMemory calls; lets tests see that a signal worked
)

// FreeOSMemory runs runtime/debug.FreeOSMemory (a forced GC followed by
// returning as much free heap to the OS as possible) and reports its effect.
// It is not rate limited; the HTTP and signal handlers that call it are.
func FreeOSMemory() Release {
	freeMu.Lock()
	defer freeMu.Unlock()
	before := readMemory()
	start := time.Now()
	debug.FreeOSMemory()
	took := time.Since(start)
	after := readMemory()
	runs.Add(1)
	r := Release{Before: before, After: after, DurationMs: float64(took.Microseconds()) / 1000}
	// The background scavenger can also move bytes, so guard against underflow.
	if after.HeapReleased > before.HeapReleased {
		r.Released = after.HeapReleased - before.HeapReleased
	}
	return r
}

// gate rate-limits the forced GCs that HTTP and signals can ask for
// (FreeOSMemory, and a heap profile with ?gc=1) together: it is process-wide
// because a GC is, whichever Agent or Handler asked.
var gate struct {
	mu      sync.Mutex
	running bool
	last    time.Time // end of the last gated run
}

// gated runs fn unless a gated run is in progress or the last one ended less
// than minInterval ago, and reports whether it ran.
func gated(minInterval time.Duration, fn func()) bool {
	gate.mu.Lock()
	if gate.running || (!gate.last.IsZero() && time.Since(gate.last) < minInterval) {
		gate.mu.Unlock()
		return false
	}
	gate.running = true
	gate.mu.Unlock()

	defer func() {
		gate.mu.Lock()
		gate.running, gate.last = false, time.Now()
		gate.mu.Unlock()
	}()
	fn()
	return true
}

// tryFree runs FreeOSMemory through the gate; ok reports whether it ran.
func tryFree(minInterval time.Duration) (r Release, ok bool) {
	ok = gated(minInterval, func() { r = FreeOSMemory() })
	return r, ok
}
