/**
 * The Go files "Add FreeOSMemory Hook to This Program" writes into a `package main` folder: a
 * self-contained copy of the agent's protocol (agent/README.md), standard library only, so go.mod
 * does not change. Memory Watch finds it like the agent (port file, own loopback listener) and
 * uses it for Go figures and Free OS Memory.
 *
 * Two files because SIGUSR1 does not exist on Windows: the HTTP part builds everywhere, the signal
 * part only where `unix` is set (Go ≥ 1.19). One file with `//go:build !windows` would quietly do
 * nothing on Windows.
 */

export const HOOK_FILE_NAME = 'memorywatch_hook.go';
export const HOOK_SIGNAL_FILE_NAME = 'memorywatch_hook_signal.go';

export const HOOK_SOURCE = `// Code added by Memory Watch ("Add FreeOSMemory Hook to This Program"); delete this file to
// remove it. Standard library only: go.mod is unchanged.
//
// At start it listens on 127.0.0.1 (a free port) and writes the port to a file named by the PID
// (in $MEMORYWATCH_AGENT_DIR, else <user config dir>/memorywatch/agents), so Memory Watch can:
//   GET  /debug/memorywatch/snapshot      the Go runtime's memory figures (runtime/metrics: no stop-the-world)
//   POST /debug/memorywatch/freeosmemory  call runtime/debug.FreeOSMemory() (at most once a second)
// On Unix, ${HOOK_SIGNAL_FILE_NAME} makes SIGUSR1 do the same as the POST.

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

func init() { go memoryWatchServe() }

var memoryWatchMetrics = []string{
	"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes",
	"/memory/classes/total:bytes", "/gc/cycles/total:gc-cycles", "/gc/heap/goal:bytes",
	"/gc/heap/live:bytes", "/gc/gomemlimit:bytes",
}

var memoryWatchFree struct {
	sync.Mutex
	last time.Time
}

func memoryWatchRead() map[string]uint64 {
	supported := map[string]bool{}
	for _, d := range metrics.All() {
		supported[d.Name] = true
	}
	var samples []metrics.Sample
	for _, name := range memoryWatchMetrics {
		if supported[name] {
			samples = append(samples, metrics.Sample{Name: name})
		}
	}
	metrics.Read(samples)
	v := map[string]uint64{}
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[s.Name] = s.Value.Uint64()
		}
	}
	return v
}

func memoryWatchMemory(v map[string]uint64) map[string]uint64 {
	return map[string]uint64{
		"heapObjects": v["/memory/classes/heap/objects:bytes"], "heapUnused": v["/memory/classes/heap/unused:bytes"],
		"heapFree": v["/memory/classes/heap/free:bytes"], "heapReleased": v["/memory/classes/heap/released:bytes"],
		"heapStacks": v["/memory/classes/heap/stacks:bytes"], "osStacks": v["/memory/classes/os-stacks:bytes"],
		"total": v["/memory/classes/total:bytes"],
	}
}

// memoryWatchFreeOSMemory runs debug.FreeOSMemory unless one ran less than a second ago.
func memoryWatchFreeOSMemory() (map[string]any, bool) {
	memoryWatchFree.Lock()
	defer memoryWatchFree.Unlock()
	if time.Since(memoryWatchFree.last) < time.Second {
		return nil, false
	}
	before := memoryWatchMemory(memoryWatchRead())
	start := time.Now()
	debug.FreeOSMemory()
	took := time.Since(start)
	after := memoryWatchMemory(memoryWatchRead())
	memoryWatchFree.last = time.Now()
	var released uint64
	if after["heapReleased"] > before["heapReleased"] {
		released = after["heapReleased"] - before["heapReleased"]
	}
	return map[string]any{"before": before, "after": after, "released": released, "durationMs": float64(took.Microseconds()) / 1000}, true
}

func memoryWatchServe() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "memorywatch hook:", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/memorywatch/snapshot", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		v := memoryWatchRead()
		limit := int64(math.MaxInt64)
		if l, ok := v["/gc/gomemlimit:bytes"]; ok && l <= math.MaxInt64 {
			limit = int64(l)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"protocol": 1, "pid": os.Getpid(), "goVersion": runtime.Version(), "timeUnixMs": time.Now().UnixMilli(),
			"memoryLimit": limit, "memory": memoryWatchMemory(v),
			"gc": map[string]uint64{"cycles": v["/gc/cycles/total:gc-cycles"], "heapGoal": v["/gc/heap/goal:bytes"], "heapLive": v["/gc/heap/live:bytes"]},
		})
	})
	mux.HandleFunc("/debug/memorywatch/freeosmemory", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		result, ok := memoryWatchFreeOSMemory()
		if !ok {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "FreeOSMemory ran less than a second ago", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(result)
	})
	dir := os.Getenv("MEMORYWATCH_AGENT_DIR")
	if dir == "" {
		if config, err := os.UserConfigDir(); err == nil {
			dir = filepath.Join(config, "memorywatch", "agents")
		}
	}
	if dir != "" && os.MkdirAll(dir, 0o755) == nil {
		file, _ := json.Marshal(map[string]any{"protocol": 1, "pid": os.Getpid(), "addr": ln.Addr().String(), "prefix": "/debug/memorywatch/"})
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json", os.Getpid())), file, 0o644)
	}
	http.Serve(ln, mux)
}
`;

export const HOOK_SIGNAL_SOURCE = `// Code added by Memory Watch ("Add FreeOSMemory Hook to This Program") with ${HOOK_FILE_NAME};
// delete both files to remove it. SIGUSR1 calls runtime/debug.FreeOSMemory(), for when Memory
// Watch cannot reach the hook's loopback port (e.g. the program runs in another network
// namespace). Unix only: Windows has no SIGUSR1.

//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

func init() {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			memoryWatchFreeOSMemory()
		}
	}()
}
`;

/** What the command writes, in the order it shows them. */
export const HOOK_FILES: readonly { readonly name: string; readonly source: string }[] = [
  { name: HOOK_FILE_NAME, source: HOOK_SOURCE },
  { name: HOOK_SIGNAL_FILE_NAME, source: HOOK_SIGNAL_SOURCE },
];

/** True when a Go file's text declares `package main` (the first package clause, comments skipped). */
export function isPackageMain(goSource: string): boolean {
  const text = goSource.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  // The package clause is the first token: skip the blanks once (a multiline \s* from every line
  // start is quadratic on blank text: tens of ms for a few KiB of newlines).
  const m = /^package\s+(\w+)/.exec(text.trimStart());
  return m?.[1] === 'main';
}
