package agent

import (
	"os"
	"sync"
)

// statm is kept open and re-read with ReadAt, so a snapshot does not pay for
// an open/close and the allocations of os.ReadFile.
var statm struct {
	mu  sync.Mutex
	f   *os.File
	err error
	buf [128]byte
}

// readProcess returns RSS and VSZ from /proc/self/statm, or nil if unreadable.
func readProcess() *Process {
	statm.mu.Lock()
	defer statm.mu.Unlock()
	if statm.f == nil && statm.err == nil {
		statm.f, statm.err = os.Open("/proc/self/statm")
	}
	if statm.err != nil {
		return nil
	}
	n, _ := statm.f.ReadAt(statm.buf[:], 0) // io.EOF is expected: the file is short
	size, resident, shared, ok := parseStatm(statm.buf[:n])
	if !ok {
		return nil
	}
	page := uint64(os.Getpagesize())
	return &Process{RSS: resident * page, VSZ: size * page, Shared: shared * page}
}

// parseStatm reads the first three fields of statm ("size resident shared
// ..."), all in pages, without allocating.
func parseStatm(b []byte) (size, resident, shared uint64, ok bool) {
	var vals [3]uint64
	i := 0
	for k := range vals {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		start := i
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			vals[k] = vals[k]*10 + uint64(b[i]-'0')
		}
		if i == start {
			return 0, 0, 0, false
		}
	}
	return vals[0], vals[1], vals[2], true
}
