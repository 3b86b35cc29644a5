package agent

import (
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
)

// heapBusy lets one heap profile be written at a time, process-wide: each
// walks every sampled allocation site, which in a large program takes a while.
var heapBusy atomic.Bool

// serveHeap answers GET Prefix+"heap" with the heap profile in pprof's
// gzipped protobuf format, as net/http/pprof's /debug/pprof/heap does;
// ?gc=1 runs a GC first, so that in-use figures are up to date.
func (h handler) serveHeap(w http.ResponseWriter, r *http.Request) {
	if !heapBusy.CompareAndSwap(false, true) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "a heap profile is being written; retry later", http.StatusTooManyRequests)
		return
	}
	defer heapBusy.Store(false)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Content-Disposition", `attachment; filename="heap.pb.gz"`)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return // the headers say what a GET would get; no GC, no profile
	}
	// A forced GC shares FreeOSMemory's rate limit, so that a page that can
	// reach the port cannot keep the program collecting.
	if gc, _ := strconv.Atoi(r.URL.Query().Get("gc")); gc > 0 && !gated(h.minInterval, runtime.GC) {
		hdr.Del("Content-Disposition")
		hdr.Set("Retry-After", "1")
		http.Error(w, "a forced GC is running or ran too recently; retry later, or omit gc=1", http.StatusTooManyRequests)
		return
	}
	pprof.Lookup("heap").WriteTo(w, 0) // an error here is the client's connection; nothing left to tell it
}
