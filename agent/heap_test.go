package agent

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ballast is what heapProfileBallast allocated, kept live during a test.
var ballast [][]byte

// heapProfileBallast allocates 32 MiB in 8 MiB blocks. The heap profiler
// samples an allocation with probability 1-exp(-size/512 KiB), so blocks this
// large are always sampled and the profile shows exactly 32 MiB here.
//
//go:noinline
func heapProfileBallast() [][]byte {
	var bs [][]byte
	for i := 0; i < 4; i++ {
		b := make([]byte, 8*MiB) // here, not in a helper, so the profile names this function
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		bs = append(bs, b)
	}
	return bs
}

// pprofTop runs `go tool pprof -top -sample_index=inuse_space` on a profile.
func pprofTop(t *testing.T, profile []byte) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go tool pprof; skipped in -short mode")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	file := filepath.Join(t.TempDir(), "heap.pb.gz")
	if err := os.WriteFile(file, profile, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goBin, "tool", "pprof", "-top", "-sample_index=inuse_space", file).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, out)
	}
	return string(out)
}

// flatMiB returns the flat figure pprof -top gives fn, in MiB (pprof's "MB"
// are 2^20 bytes).
func flatMiB(t *testing.T, top, fn string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*([0-9.]+)([kMG]?B)\s.*\s\S*` + regexp.QuoteMeta(fn) + `$`)
	m := re.FindStringSubmatch(top)
	if m == nil {
		t.Fatalf("%s not in pprof's output:\n%s", fn, top)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v * map[string]float64{"B": 1.0 / MiB, "kB": 1.0 / 1024, "MB": 1, "GB": 1024}[m[2]]
}

func TestHeapProfile(t *testing.T) {
	a := listen(t, Options{MinInterval: time.Millisecond})
	resetGate(t)
	ballast = heapProfileBallast()
	defer func() { ballast = nil }()
	forced := TakeSnapshot().GC.ForcedCycles

	code, hdr, body := do(t, "GET", "http://"+a.Addr()+Prefix+"heap?gc=1", nil)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	for k, want := range map[string]string{
		"Content-Type":        "application/octet-stream",
		"Content-Disposition": `attachment; filename="heap.pb.gz"`,
	} {
		if got := hdr.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := TakeSnapshot().GC.ForcedCycles; got != forced+1 {
		t.Errorf("forcedCycles %d -> %d: gc=1 should run one GC", forced, got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body is not gzip: %v (%d bytes)", err, len(body))
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("gunzip: %d bytes, %v", len(raw), err)
	}

	top := pprofTop(t, body)
	t.Logf("go tool pprof -top -sample_index=inuse_space:\n%s", firstLines(top, 12))
	if got := flatMiB(t, top, "agent.heapProfileBallast"); got < 31.5 || got > 32.5 {
		t.Errorf("heapProfileBallast holds %.2f MiB in the profile, want 32", got)
	}
	if !strings.Contains(top, "Type: inuse_space") {
		t.Errorf("not an inuse_space view:\n%s", firstLines(top, 6))
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// Without gc=1 no GC runs; HEAD gives the headers only.
func TestHeapProfileNoGC(t *testing.T) {
	a := listen(t, Options{})
	url := "http://" + a.Addr() + Prefix + "heap"
	forced := TakeSnapshot().GC.ForcedCycles
	for _, q := range []string{"", "?gc=0", "?gc=x", "?gc=-1", "?debug=1"} {
		code, hdr, body := do(t, "GET", url+q, nil)
		if _, err := gzip.NewReader(bytes.NewReader(body)); code != 200 || err != nil || hdr.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("GET heap%s: %d %q, gzip: %v", q, code, hdr.Get("Content-Type"), err)
		}
	}
	code, hdr, body := do(t, "HEAD", url+"?gc=1", nil)
	if code != 200 || len(body) != 0 || hdr.Get("Content-Disposition") != `attachment; filename="heap.pb.gz"` {
		t.Errorf("HEAD: %d %q %d bytes", code, hdr.Get("Content-Disposition"), len(body))
	}
	if got := TakeSnapshot().GC.ForcedCycles; got != forced {
		t.Errorf("forcedCycles %d -> %d without gc=1", forced, got)
	}
}

// One profile at a time: while one is being written, others get 429.
func TestHeapProfileOneAtATime(t *testing.T) {
	a := listen(t, Options{})
	url := "http://" + a.Addr() + Prefix + "heap"
	if !heapBusy.CompareAndSwap(false, true) {
		t.Fatal("a heap profile is being written before the test")
	}
	code, hdr, body := do(t, "GET", url, nil)
	heapBusy.Store(false)
	if code != 429 || hdr.Get("Retry-After") != "1" || !strings.Contains(string(body), "heap profile") ||
		hdr.Get("Content-Disposition") != "" {
		t.Errorf("while busy: %d, Retry-After %q, %q, Content-Disposition %q", code, hdr.Get("Retry-After"), body, hdr.Get("Content-Disposition"))
	}

	// A real burst: every request gets a whole profile or a 429, and the
	// flag is released afterwards.
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if zr, err := gzip.NewReader(bytes.NewReader(b)); err != nil {
					t.Errorf("200 without gzip: %v", err)
				} else if _, err := io.ReadAll(zr); err != nil {
					t.Errorf("truncated profile: %v", err)
				}
			}
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("burst of 8: %v", codes)
	if codes[200] == 0 || codes[200]+codes[429] != 8 {
		t.Errorf("burst of 8: %v", codes)
	}
	if code, _, _ := do(t, "GET", url, nil); code != 200 {
		t.Errorf("after the burst: %d", code)
	}
}

// gc=1 forces a GC, so it shares FreeOSMemory's rate limit; the profile
// without gc=1 stays available.
func TestHeapProfileGCRateLimit(t *testing.T) {
	a := listen(t, Options{MinInterval: time.Minute})
	resetGate(t)
	base := "http://" + a.Addr() + Prefix
	if code, _, _ := do(t, "POST", base+"freeosmemory", nil); code != 200 {
		t.Fatalf("freeosmemory: %d", code)
	}
	forced := TakeSnapshot().GC.ForcedCycles
	code, hdr, body := do(t, "GET", base+"heap?gc=1", nil)
	if code != 429 || hdr.Get("Retry-After") != "1" || hdr.Get("Content-Disposition") != "" {
		t.Errorf("heap?gc=1 within MinInterval: %d %q %q", code, hdr.Get("Retry-After"), body)
	}
	if got := TakeSnapshot().GC.ForcedCycles; got != forced {
		t.Errorf("a refused gc=1 still ran a GC: %d -> %d", forced, got)
	}
	if code, _, _ := do(t, "GET", base+"heap", nil); code != 200 {
		t.Errorf("heap without gc within MinInterval: %d", code)
	}
}
