package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Prefix is the path under which the agent's endpoints live:
// Prefix+"snapshot", Prefix+"freeosmemory" and Prefix+"heap".
const Prefix = "/debug/memorywatch/"

// maxBody bounds how much of an (ignored) request body is read.
const maxBody = 4 << 10

// Handler returns the agent's endpoints, for a program that already serves
// HTTP. Mount it at Prefix without stripping the prefix:
//
//	mux.Handle(agent.Prefix, agent.Handler())
//
// Forced GCs (FreeOSMemory, a heap profile with ?gc=1) are limited to one per
// second. Anyone who can reach the mux can use the endpoints, so serve it on a
// loopback address only.
func Handler() http.Handler { return handler{minInterval: defaultMinInterval} }

type handler struct{ minInterval time.Duration }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Drain a little of any body, so keep-alive connections stay reusable.
	if r.Body != nil {
		io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	switch {
	case ok && rest == "snapshot":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		writeJSON(w, TakeSnapshot())
	case ok && rest == "freeosmemory":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		rel, ran := tryFree(h.minInterval)
		if !ran {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "FreeOSMemory is running or ran too recently; retry later", http.StatusTooManyRequests)
			return
		}
		writeJSON(w, rel)
	case ok && rest == "heap":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		h.serveHeap(w, r)
	default:
		http.NotFound(w, r)
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed; use "+allow, http.StatusMethodNotAllowed)
}

// bufPool recycles encoding buffers: snapshots are polled about once a second
// for as long as Memory Watch is open, so keep each poll cheap.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func writeJSON(w http.ResponseWriter, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
