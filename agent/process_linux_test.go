package agent

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestProcessFigures(t *testing.T) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	vsz, _ := strconv.ParseUint(f[0], 10, 64)
	rss, _ := strconv.ParseUint(f[1], 10, 64)
	page := uint64(os.Getpagesize())
	p := readProcess()
	if p == nil || !within(p.RSS, rss*page, 4*MiB, 0.05) || !within(p.VSZ, vsz*page, 64*MiB, 0.05) {
		t.Errorf("readProcess = %+v, statm says rss %d vsz %d", p, rss*page, vsz*page)
	}
}

func TestParseStatm(t *testing.T) {
	for in, want := range map[string][3]uint64{
		"123 45 6 7 0 8 0\n": {123, 45, 6},
		"9 8 7":              {9, 8, 7},
	} {
		size, res, shared, ok := parseStatm([]byte(in))
		if !ok || size != want[0] || res != want[1] || shared != want[2] {
			t.Errorf("parseStatm(%q) = %d, %d, %d, %v", in, size, res, shared, ok)
		}
	}
	for _, in := range []string{"", "12", "12 x", "x 12", "9 8"} {
		if _, _, _, ok := parseStatm([]byte(in)); ok {
			t.Errorf("parseStatm(%q) succeeded", in)
		}
	}
}
