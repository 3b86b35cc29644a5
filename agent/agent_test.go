package agent

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const MiB = 1 << 20

// sink keeps test garbage reachable until a test drops it.
var sink []byte

// resetGate forgets the last FreeOSMemory run, now and again when the test
// ends, so that no test (or example) is refused because of an earlier one.
func resetGate(t *testing.T) {
	t.Helper()
	reset := func() {
		gate.mu.Lock()
		defer gate.mu.Unlock()
		if gate.running {
			t.Error("a FreeOSMemory run is still in progress")
		}
		gate.last = time.Time{}
	}
	reset()
	t.Cleanup(reset)
}

// listen starts an agent that writes no port file unless opts says otherwise.
func listen(t *testing.T, opts Options) *Agent {
	t.Helper()
	if opts.PortFileDir == "" {
		opts.PortFileDir = "-"
	}
	return mustListen(t, opts)
}

// mustListen starts an agent with opts as given and closes it after the test.
func mustListen(t *testing.T, opts Options) *Agent {
	t.Helper()
	a, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// do sends a request and returns the status, headers and body.
func do(t *testing.T, method, url string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// allocGarbage makes n bytes of touched heap and returns it.
func allocGarbage(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // touch every page, so it is really resident
	}
	return b
}

func TestSnapshotJSONFields(t *testing.T) {
	a := listen(t, Options{})
	runtime.GC()
	code, hdr, body := do(t, "GET", "http://"+a.Addr()+Prefix+"snapshot", nil)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	// Exactly the field names the TypeScript client parses.
	top := "gc,goVersion,gogc,gomaxprocs,goroutines,memory,memoryLimit,pid,program,protocol,timeUnixMs"
	if runtime.GOOS == "linux" {
		top = "gc,goVersion,gogc,gomaxprocs,goroutines,memory,memoryLimit,pid,process,program,protocol,timeUnixMs"
		if got := keys(raw["process"].(map[string]any)); got != "rss,shared,vsz" {
			t.Errorf("process keys = %s", got)
		}
		// Present when the process is in a memory cgroup (TestCgroupSelf
		// checks that it is whenever /proc/self/cgroup says so).
		if cg, ok := raw["cgroup"].(map[string]any); ok {
			top = "cgroup," + top
			for k := range cg {
				if !strings.Contains(",version,path,usage,limit,limitPath,high,inactiveFile,workingSet,peak,oomKills,", ","+k+",") {
					t.Errorf("unknown cgroup key %q", k)
				}
			}
			for _, k := range []string{"version", "path", "usage", "inactiveFile", "workingSet"} {
				if _, ok := cg[k]; !ok {
					t.Errorf("cgroup key %q missing: %v", k, cg)
				}
			}
		}
	}
	if got := keys(raw); got != top {
		t.Errorf("top-level keys = %s, want %s", got, top)
	}
	if got, want := keys(raw["memory"].(map[string]any)), "heapFree,heapObjects,heapReleased,heapStacks,heapUnused,metadata,osStacks,other,profiling,total"; got != want {
		t.Errorf("memory keys = %s, want %s", got, want)
	}
	if got, want := keys(raw["gc"].(map[string]any)), "cycles,forcedCycles,heapGoal,heapLive"; got != want {
		t.Errorf("gc keys = %s, want %s", got, want)
	}

	var s Snapshot
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	if s.Protocol != 1 || s.PID != os.Getpid() || s.GoVersion != runtime.Version() || s.GOMAXPROCS != runtime.GOMAXPROCS(0) {
		t.Errorf("identity fields wrong: %+v", s)
	}
	if d := time.Since(time.UnixMilli(s.TimeUnixMs)); d < 0 || d > time.Minute {
		t.Errorf("timeUnixMs is %v old", d)
	}
	m := s.Memory
	sum := m.HeapObjects + m.HeapUnused + m.HeapFree + m.HeapReleased + m.HeapStacks + m.OSStacks + m.Metadata + m.Profiling + m.Other
	if sum != m.Total {
		t.Errorf("classes add up to %d, total is %d", sum, m.Total)
	}
	if m.Total < m.HeapObjects || m.HeapObjects == 0 || m.HeapStacks == 0 || m.Metadata == 0 {
		t.Errorf("implausible memory: %+v", m)
	}
	if s.GC.Cycles == 0 || s.GC.ForcedCycles == 0 || s.GC.HeapGoal == 0 || s.GC.HeapLive == 0 || s.GC.HeapLive > s.GC.HeapGoal {
		t.Errorf("implausible gc: %+v", s.GC)
	}
	if runtime.GOOS == "linux" && (s.Process == nil || s.Process.RSS == 0 || s.Process.VSZ < s.Process.RSS) {
		t.Errorf("implausible process: %+v", s.Process)
	}

	// HEAD: same headers, no body.
	code, hdr, body = do(t, "HEAD", "http://"+a.Addr()+Prefix+"snapshot", nil)
	if code != 200 || len(body) != 0 || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: %d %q %q", code, hdr.Get("Content-Type"), body)
	}
}

func TestSnapshotGoroutines(t *testing.T) {
	// From Go 1.26 the metric also counts the runtime's own goroutines (GC
	// workers, …), which NumGoroutine leaves out; other tests' goroutines may
	// also come and go between the two calls.
	if got, user := TakeSnapshot().Goroutines, uint64(runtime.NumGoroutine()); got+2 < user || got > user+64 {
		t.Errorf("goroutines = %d, NumGoroutine = %d", got, user)
	}
	const n = 500
	before := TakeSnapshot().Goroutines
	release := make(chan struct{})
	var started, done sync.WaitGroup
	for i := 0; i < n; i++ {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	during := TakeSnapshot().Goroutines
	close(release)
	done.Wait()
	if !within(during, before+n, 5, 0) {
		t.Errorf("goroutines %d -> %d with %d more blocked", before, during, n)
	}
}

func TestSnapshotGCSettings(t *testing.T) {
	if s := TakeSnapshot(); os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" &&
		(s.GOGC != 100 || s.MemoryLimit != math.MaxInt64) {
		t.Errorf("defaults: gogc %d, memoryLimit %d", s.GOGC, s.MemoryLimit)
	}
	old := debug.SetGCPercent(50)
	defer debug.SetGCPercent(old)
	if got := TakeSnapshot().GOGC; got != 50 {
		t.Errorf("gogc = %d, want 50", got)
	}
	debug.SetGCPercent(-1)
	if got := TakeSnapshot().GOGC; got != -1 {
		t.Errorf("gogc with GC off = %d, want -1", got)
	}
	oldLimit := debug.SetMemoryLimit(1 << 40)
	defer debug.SetMemoryLimit(oldLimit)
	if got := TakeSnapshot().MemoryLimit; got != 1<<40 {
		t.Errorf("memoryLimit = %d, want %d", got, int64(1<<40))
	}
}

func TestSnapshotSeesGarbage(t *testing.T) {
	runtime.GC()
	sink = allocGarbage(64 * MiB)
	held := TakeSnapshot().Memory
	sink = nil
	runtime.GC()
	freed := TakeSnapshot().Memory
	t.Logf("holding 64 MiB: %+v", held)
	t.Logf("after GC:       %+v", freed)
	if held.HeapObjects < 64*MiB {
		t.Errorf("heapObjects %d while holding 64 MiB", held.HeapObjects)
	}
	if drop := int64(held.HeapObjects) - int64(freed.HeapObjects); drop < 60*MiB {
		t.Errorf("heapObjects dropped by %d after freeing 64 MiB", drop)
	}
	if grew := int64(freed.HeapFree+freed.HeapReleased) - int64(held.HeapFree+held.HeapReleased); grew < 60*MiB {
		t.Errorf("heapFree+heapReleased grew by %d after freeing 64 MiB", grew)
	}
}

// within reports whether a and b differ by at most abs bytes plus frac of b.
func within(a, b uint64, abs uint64, frac float64) bool {
	d := a - b
	if a < b {
		d = b - a
	}
	return d <= abs+uint64(frac*float64(b))
}

func TestSnapshotAgreesWithReadMemStats(t *testing.T) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := TakeSnapshot()
	m := s.Memory
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"total vs Sys", m.Total, ms.Sys},
		{"heapObjects vs HeapAlloc", m.HeapObjects, ms.HeapAlloc},
		// The background scavenger moves bytes from free to released at any
		// moment, so compare their sum, which it does not change.
		{"heapFree+heapReleased vs HeapIdle", m.HeapFree + m.HeapReleased, ms.HeapIdle},
		{"heapStacks vs StackInuse", m.HeapStacks, ms.StackInuse},
		{"heapStacks+osStacks vs StackSys", m.HeapStacks + m.OSStacks, ms.StackSys},
		{"heapGoal vs NextGC", s.GC.HeapGoal, ms.NextGC},
	}
	for _, c := range checks {
		if !within(c.got, c.want, 1*MiB, 0.05) {
			t.Errorf("%s: %d vs %d", c.name, c.got, c.want)
		}
	}
	if !within(s.GC.Cycles, uint64(ms.NumGC), 1, 0) || !within(s.GC.ForcedCycles, uint64(ms.NumForcedGC), 1, 0) {
		t.Errorf("cycles %d/%d vs NumGC %d/%d", s.GC.Cycles, s.GC.ForcedCycles, ms.NumGC, ms.NumForcedGC)
	}
}

func TestFreeOSMemoryPOST(t *testing.T) {
	a := listen(t, Options{MinInterval: time.Millisecond})
	resetGate(t)
	// Make free heap: 64 MiB of garbage, collected but not yet returned.
	sink = allocGarbage(64 * MiB)
	sink = nil
	runtime.GC()
	code, hdr, body := do(t, "POST", "http://"+a.Addr()+Prefix+"freeosmemory", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %q: %s", code, hdr.Get("Content-Type"), body)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if got := keys(raw); got != "after,before,durationMs,released" {
		t.Errorf("keys = %s", got)
	}
	var r Release
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("released %d MiB in %.2f ms; heapFree %d -> %d MiB", r.Released/MiB, r.DurationMs,
		r.Before.HeapFree/MiB, r.After.HeapFree/MiB)
	if r.Released != r.After.HeapReleased-r.Before.HeapReleased {
		t.Errorf("released %d != after-before %d", r.Released, r.After.HeapReleased-r.Before.HeapReleased)
	}
	if r.Before.HeapFree < 16*MiB || r.After.HeapFree >= r.Before.HeapFree || r.Released < 16*MiB {
		t.Errorf("heapFree did not move to heapReleased: %+v", r)
	}
	if r.DurationMs <= 0 {
		t.Errorf("durationMs = %v", r.DurationMs)
	}
}

func TestFreeOSMemoryFunc(t *testing.T) {
	n := runs.Load()
	fc := TakeSnapshot().GC.ForcedCycles
	r := FreeOSMemory()
	if runs.Load() != n+1 || TakeSnapshot().GC.ForcedCycles <= fc {
		t.Error("FreeOSMemory did not run a forced GC")
	}
	if r.After.Total == 0 || r.Before.Total == 0 {
		t.Errorf("empty measurement: %+v", r)
	}
}

func TestBadRequests(t *testing.T) {
	a := listen(t, Options{MinInterval: time.Millisecond})
	base := "http://" + a.Addr()
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "freeosmemory", "POST"},
		{"HEAD", "freeosmemory", "POST"},
		{"PUT", "freeosmemory", "POST"},
		{"DELETE", "freeosmemory", "POST"},
		{"POST", "snapshot", "GET, HEAD"},
		{"PUT", "snapshot", "GET, HEAD"},
		{"PATCH", "snapshot", "GET, HEAD"},
		{"POST", "heap", "GET, HEAD"},
		{"DELETE", "heap", "GET, HEAD"},
	} {
		code, hdr, _ := do(t, c.method, base+Prefix+c.path, nil)
		if code != 405 || hdr.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, %q", c.method, c.path, code, hdr.Get("Allow"), c.allow)
		}
	}
	for _, p := range []string{"/", "/debug/memorywatch", Prefix, Prefix + "snapshot/", Prefix + "Snapshot",
		Prefix + "nope", Prefix + "snapshot/x", Prefix + "heap/", Prefix + "Heap", "/debug/pprof/heap", "/debug/pprof/", "/snapshot"} {
		if code, _, _ := do(t, "GET", base+p, nil); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}

	// Bodies are ignored, whatever they contain and however large.
	garbage := make([]byte, 1*MiB)
	rand.Read(garbage)
	resetGate(t)
	for _, p := range []struct{ method, path string }{{"POST", "freeosmemory"}, {"GET", "snapshot"}} {
		code, _, body := do(t, p.method, base+Prefix+p.path, bytes.NewReader(garbage))
		if code != 200 || !json.Valid(body) {
			t.Errorf("%s %s with garbage body: %d %.80s", p.method, p.path, code, body)
		}
	}
	// A query string does not change anything.
	if code, _, _ := do(t, "GET", base+Prefix+"snapshot?x=%zz&y", nil); code != 200 {
		t.Errorf("snapshot with query: %d", code)
	}
}

func TestHostGuard(t *testing.T) {
	a := listen(t, Options{})
	for host, want := range map[string]int{
		"evil.example":                  403,
		"evil.example:" + "80":          403,
		"192.168.1.1":                   403,
		"localhost":                     200,
		"LOCALHOST:1234":                200,
		"127.0.0.1":                     200,
		"[::1]:80":                      200,
		strings.Split(a.Addr(), ":")[0]: 200,
	} {
		for _, path := range []string{"snapshot", "heap"} {
			req, _ := http.NewRequest("GET", "http://"+a.Addr()+Prefix+path, nil)
			req.Host = host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			// Read it all: the server is still writing a heap profile
			// (and holding the one-at-a-time flag) until the client has it.
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("Host %q, %s: %d, want %d", host, path, resp.StatusCode, want)
			}
		}
	}
}

func TestConcurrentPOSTBurst(t *testing.T) {
	a := listen(t, Options{MinInterval: time.Minute})
	resetGate(t)
	const n = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		codes = map[int]int{}
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := http.Post("http://"+a.Addr()+Prefix+"freeosmemory", "text/plain", nil)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 429 && (resp.Header.Get("Retry-After") != "1" || len(body) == 0) {
				t.Errorf("429 with Retry-After %q, body %q", resp.Header.Get("Retry-After"), body)
			}
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[200] != 1 || codes[429] != n-1 {
		t.Errorf("burst of %d POSTs: %v; want one 200, the rest 429", n, codes)
	}
	// Still inside MinInterval: refused.
	if code, _, _ := do(t, "POST", "http://"+a.Addr()+Prefix+"freeosmemory", nil); code != 429 {
		t.Errorf("POST within MinInterval: %d, want 429", code)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "10.1.2.3:8080", "example.com:0", "nonsense", "127.0.0.1"} {
		if a, err := Listen(Options{Addr: addr, PortFileDir: "-"}); err == nil {
			a.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	for _, addr := range []string{"localhost:0", "127.0.0.1:0", "[::1]:0"} {
		a, err := Listen(Options{Addr: addr, PortFileDir: "-"})
		if err != nil {
			if addr == "[::1]:0" {
				t.Logf("IPv6 loopback unavailable: %v", err)
				continue
			}
			t.Errorf("Listen(%q): %v", addr, err)
			continue
		}
		if code, _, _ := do(t, "GET", "http://"+a.Addr()+Prefix+"snapshot", nil); code != 200 {
			t.Errorf("%s: snapshot %d", addr, code)
		}
		a.Close()
	}
}

func readPortFile(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPortFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	a, err := Listen(Options{PortFileDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strconv.Itoa(os.Getpid())+".json")
	m := readPortFile(t, path)
	want := map[string]any{"protocol": 1.0, "pid": float64(os.Getpid()), "addr": a.Addr(), "prefix": Prefix}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("port file = %v, want %v", m, want)
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644) {
		t.Errorf("port file mode: %v %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want just the port file", len(entries))
	}
	// The address in the port file is reachable.
	if code, _, _ := do(t, "GET", "http://"+m["addr"].(string)+m["prefix"].(string)+"snapshot", nil); code != 200 {
		t.Errorf("snapshot via port file address: %d", code)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("port file still there after Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The listener is closed too.
	if conn, err := net.DialTimeout("tcp", a.Addr(), time.Second); err == nil {
		conn.Close()
		t.Error("still accepting connections after Close")
	}
}

func TestPortFileUnwritable(t *testing.T) {
	// A regular file where the directory should be.
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Reserve a port, so we can check that Listen released it again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if a, err := Listen(Options{Addr: addr, PortFileDir: notDir}); err == nil {
		a.Close()
		t.Fatal("Listen succeeded without a port file")
	} else {
		t.Log(err)
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port not released after failed Listen: %v", err)
	}
	ln.Close()
}

func TestEnvDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvDir, dir)
	a := mustListen(t, Options{})
	path := filepath.Join(dir, strconv.Itoa(os.Getpid())+".json")
	if m := readPortFile(t, path); m["addr"] != a.Addr() {
		t.Errorf("port file addr %v, want %s", m["addr"], a.Addr())
	}
	a.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("port file still there after Close: %v", err)
	}

	// Options.PortFileDir wins over the environment.
	other := t.TempDir()
	listen(t, Options{PortFileDir: other})
	readPortFile(t, filepath.Join(other, strconv.Itoa(os.Getpid())+".json"))

	// "-" in the environment disables the port file too.
	t.Setenv(EnvDir, "-")
	mustListen(t, Options{})
	if _, err := os.Stat("-"); err == nil {
		t.Error(`created a file named "-"`)
	}
}

func TestDefaultDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv(EnvDir, "")
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("AppData", home)
	cfg, err := os.UserConfigDir()
	if err != nil || !strings.HasPrefix(cfg, home) {
		t.Skipf("cannot redirect os.UserConfigDir: %q %v", cfg, err)
	}
	a := mustListen(t, Options{})
	path := filepath.Join(cfg, "memorywatch", "agents", strconv.Itoa(os.Getpid())+".json")
	if m := readPortFile(t, path); m["addr"] != a.Addr() {
		t.Errorf("port file addr %v, want %s", m["addr"], a.Addr())
	}
}

func TestHandlerOnUserMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(Prefix, Handler())
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	if code, _, body := do(t, "GET", srv.URL+"/hello", nil); code != 200 || string(body) != "hi" {
		t.Errorf("/hello: %d %q", code, body)
	}
	code, _, body := do(t, "GET", srv.URL+Prefix+"snapshot", nil)
	var s Snapshot
	if code != 200 || json.Unmarshal(body, &s) != nil || s.PID != os.Getpid() {
		t.Errorf("snapshot via mux: %d %.80s", code, body)
	}
	resetGate(t)
	if code, _, body := do(t, "POST", srv.URL+Prefix+"freeosmemory", nil); code != 200 {
		t.Errorf("freeosmemory via mux: %d %s", code, body)
	}
	// Handler's own limit is one per second.
	if code, _, _ := do(t, "POST", srv.URL+Prefix+"freeosmemory", nil); code != 429 {
		t.Errorf("second freeosmemory via mux: %d, want 429", code)
	}
	if code, _, _ := do(t, "GET", srv.URL+Prefix+"other", nil); code != 404 {
		t.Errorf("unknown path via mux: %d", code)
	}
}
