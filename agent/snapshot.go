package agent

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// ProtocolVersion is the value of the "protocol" field in snapshots and port
// files. It changes only when a change would break an existing client.
const ProtocolVersion = 1

// Snapshot is the body of GET Prefix+"snapshot". All byte counts come from
// runtime/metrics, which does not stop the world.
type Snapshot struct {
	Protocol    int      `json:"protocol"`    // ProtocolVersion
	PID         int      `json:"pid"`         // os.Getpid()
	Program     string   `json:"program"`     // the executable's base name (os.Args[0]); never its arguments
	GoVersion   string   `json:"goVersion"`   // runtime.Version()
	TimeUnixMs  int64    `json:"timeUnixMs"`  // when the figures were read
	GOMAXPROCS  int      `json:"gomaxprocs"`  // runtime.GOMAXPROCS(0)
	GOGC        int64    `json:"gogc"`        // GOGC percent; -1 when the GC is off
	MemoryLimit int64    `json:"memoryLimit"` // GOMEMLIMIT in bytes; math.MaxInt64 when unlimited
	Goroutines  uint64   `json:"goroutines"`  // live goroutines (from Go 1.26 including the runtime's own); a steady rise explains growing stacks
	Memory      Memory   `json:"memory"`
	GC          GCStats  `json:"gc"`
	Process     *Process `json:"process,omitempty"` // Linux only
	Cgroup      *Cgroup  `json:"cgroup,omitempty"`  // Linux only, when the process is in a memory cgroup
}

// Memory splits the memory mapped by the Go runtime into classes, in bytes.
// The classes are disjoint and add up to Total.
type Memory struct {
	HeapObjects  uint64 `json:"heapObjects"`  // live and not yet swept objects
	HeapUnused   uint64 `json:"heapUnused"`   // reserved for objects but unused (fragmentation)
	HeapFree     uint64 `json:"heapFree"`     // free heap still held from the OS; FreeOSMemory returns it
	HeapReleased uint64 `json:"heapReleased"` // free heap already returned to the OS
	HeapStacks   uint64 `json:"heapStacks"`   // goroutine stacks allocated from the heap
	OSStacks     uint64 `json:"osStacks"`     // stacks allocated directly by the OS
	Metadata     uint64 `json:"metadata"`     // runtime metadata (mspans, mcaches, other)
	Profiling    uint64 `json:"profiling"`    // profiling buckets
	Other        uint64 `json:"other"`        // everything else the runtime mapped
	Total        uint64 `json:"total"`        // sum of the classes; like MemStats.Sys
}

// GCStats describes the garbage collector's progress.
type GCStats struct {
	Cycles       uint64 `json:"cycles"`       // completed GC cycles
	ForcedCycles uint64 `json:"forcedCycles"` // cycles forced by runtime.GC or FreeOSMemory
	HeapGoal     uint64 `json:"heapGoal"`     // heap size at which the next cycle starts
	HeapLive     uint64 `json:"heapLive"`     // heap marked live by the last cycle; 0 before Go 1.21
}

// Process holds figures the operating system reports for the whole process,
// including memory the Go runtime does not manage (cgo, mmap).
type Process struct {
	RSS    uint64 `json:"rss"`    // resident set size, bytes
	VSZ    uint64 `json:"vsz"`    // virtual memory size, bytes
	Shared uint64 `json:"shared"` // resident pages backed by files or shared memory (the binary, mapped files), bytes
}

// Cgroup describes the memory cgroup the process belongs to: the accounting
// the kernel's OOM killer, and Kubernetes' kubelet, act on. Byte counts
// include page cache charged to the cgroup and, in v2, kernel memory, so
// they differ from both the Go runtime's figures and RSS.
type Cgroup struct {
	Version      int    `json:"version"`             // 1 or 2
	Path         string `json:"path"`                // as /proc/self/cgroup gives it, e.g. "/kubepods/pod1/abc"
	Usage        uint64 `json:"usage"`               // bytes charged now (v2 memory.current, v1 memory.usage_in_bytes)
	Limit        uint64 `json:"limit,omitempty"`     // lowest limit from this cgroup up to the root; 0 when none
	LimitPath    string `json:"limitPath,omitempty"` // the cgroup that sets Limit
	High         uint64 `json:"high,omitempty"`      // v2 memory.high, where the kernel starts throttling; 0 when none
	InactiveFile uint64 `json:"inactiveFile"`        // inactive page cache, the first thing the kernel reclaims
	WorkingSet   uint64 `json:"workingSet"`          // Usage − InactiveFile, floored at 0: what kubectl top shows
	Peak         uint64 `json:"peak,omitempty"`      // highest Usage so far (v2 memory.peak, v1 memory.max_usage_in_bytes); 0 when unknown
	// OOMKills counts processes the OOM killer killed in this cgroup (v2
	// memory.events, v1 memory.oom_control "oom_kill"); nil when the kernel
	// does not say (before Linux 4.13), so that nil and 0 stay distinct.
	OOMKills *uint64 `json:"oomKills,omitempty"`
}

// Indexes into metricNames.
const (
	mHeapObjects = iota
	mHeapUnused
	mHeapFree
	mHeapReleased
	mHeapStacks
	mOSStacks
	mMetaMcacheFree
	mMetaMcacheInuse
	mMetaMspanFree
	mMetaMspanInuse
	mMetaOther
	mProfiling
	mOther
	mTotal
	mCycles
	mForcedCycles
	mHeapGoal
	mHeapLive
	mGOGC
	mMemoryLimit
	mGoroutines
	numMetrics
)

var metricNames = [numMetrics]string{
	mHeapObjects:     "/memory/classes/heap/objects:bytes",
	mHeapUnused:      "/memory/classes/heap/unused:bytes",
	mHeapFree:        "/memory/classes/heap/free:bytes",
	mHeapReleased:    "/memory/classes/heap/released:bytes",
	mHeapStacks:      "/memory/classes/heap/stacks:bytes",
	mOSStacks:        "/memory/classes/os-stacks:bytes",
	mMetaMcacheFree:  "/memory/classes/metadata/mcache/free:bytes",
	mMetaMcacheInuse: "/memory/classes/metadata/mcache/inuse:bytes",
	mMetaMspanFree:   "/memory/classes/metadata/mspan/free:bytes",
	mMetaMspanInuse:  "/memory/classes/metadata/mspan/inuse:bytes",
	mMetaOther:       "/memory/classes/metadata/other:bytes",
	mProfiling:       "/memory/classes/profiling/buckets:bytes",
	mOther:           "/memory/classes/other:bytes",
	mTotal:           "/memory/classes/total:bytes",
	mCycles:          "/gc/cycles/total:gc-cycles",
	mForcedCycles:    "/gc/cycles/forced:gc-cycles",
	mHeapGoal:        "/gc/heap/goal:bytes",
	mHeapLive:        "/gc/heap/live:bytes",
	mGOGC:            "/gc/gogc:percent",
	mMemoryLimit:     "/gc/gomemlimit:bytes",
	mGoroutines:      "/sched/goroutines:goroutines",
}

// reader owns one reusable metrics.Sample slice, so that reading the figures
// allocates nothing after the first call.
var reader struct {
	once    sync.Once
	mu      sync.Mutex
	samples []metrics.Sample // supported metrics only
	index   [numMetrics]int  // position in samples, or -1 if unsupported
}

// readMetrics returns the current value of every metric in metricNames;
// unsupported ones read as ok[i] == false.
func readMetrics() (v [numMetrics]uint64, ok [numMetrics]bool) {
	reader.once.Do(func() {
		supported := map[string]bool{}
		for _, d := range metrics.All() {
			supported[d.Name] = true
		}
		for i, name := range metricNames {
			reader.index[i] = -1
			if supported[name] {
				reader.index[i] = len(reader.samples)
				reader.samples = append(reader.samples, metrics.Sample{Name: name})
			}
		}
	})
	reader.mu.Lock()
	defer reader.mu.Unlock()
	metrics.Read(reader.samples)
	for i, j := range reader.index {
		if j < 0 {
			continue
		}
		switch val := reader.samples[j].Value; val.Kind() {
		case metrics.KindUint64:
			v[i], ok[i] = val.Uint64(), true
		case metrics.KindFloat64:
			v[i], ok[i] = uint64(val.Float64()), true
		}
	}
	return v, ok
}

func memoryFrom(v *[numMetrics]uint64) Memory {
	return Memory{
		HeapObjects:  v[mHeapObjects],
		HeapUnused:   v[mHeapUnused],
		HeapFree:     v[mHeapFree],
		HeapReleased: v[mHeapReleased],
		HeapStacks:   v[mHeapStacks],
		OSStacks:     v[mOSStacks],
		Metadata: v[mMetaMcacheFree] + v[mMetaMcacheInuse] + v[mMetaMspanFree] +
			v[mMetaMspanInuse] + v[mMetaOther],
		Profiling: v[mProfiling],
		Other:     v[mOther],
		Total:     v[mTotal],
	}
}

// readMemory returns just the memory classes (used around FreeOSMemory).
func readMemory() Memory {
	v, _ := readMetrics()
	return memoryFrom(&v)
}

// TakeSnapshot reads the current memory figures. It does not stop the world
// and is safe for concurrent use; it is what GET Prefix+"snapshot" returns.
// programName is the executable's base name: what a client shows for a
// process it reaches only through a URL. Arguments are never sent: they may
// hold secrets.
var programName = sync.OnceValue(func() string {
	if len(os.Args) == 0 {
		return ""
	}
	return filepath.Base(os.Args[0])
})

func TakeSnapshot() Snapshot {
	v, ok := readMetrics()
	s := Snapshot{
		Protocol:    ProtocolVersion,
		PID:         os.Getpid(),
		Program:     programName(),
		GoVersion:   runtime.Version(),
		TimeUnixMs:  time.Now().UnixMilli(),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		GOGC:        100,
		MemoryLimit: math.MaxInt64,
		Goroutines:  v[mGoroutines],
		Memory:      memoryFrom(&v),
		GC: GCStats{
			Cycles:       v[mCycles],
			ForcedCycles: v[mForcedCycles],
			HeapGoal:     v[mHeapGoal],
			HeapLive:     v[mHeapLive],
		},
		Process: readProcess(),
		Cgroup:  readCgroup(),
	}
	// GOGC is an int32 stored in a uint64 metric, so "off" (-1) reads as 2^64-1.
	if ok[mGOGC] {
		s.GOGC = int64(int32(v[mGOGC]))
	}
	if ok[mMemoryLimit] && v[mMemoryLimit] <= math.MaxInt64 {
		s.MemoryLimit = int64(v[mMemoryLimit])
	}
	return s
}
