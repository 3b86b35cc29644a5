package agent

import (
	"io"
	"net/http"
	"runtime"
	"testing"
)

var snapSink Snapshot

func BenchmarkTakeSnapshot(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		snapSink = TakeSnapshot()
	}
}

// BenchmarkReadMemStats is the stop-the-world alternative TakeSnapshot avoids.
func BenchmarkReadMemStats(b *testing.B) {
	b.ReportAllocs()
	var ms runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.ReadMemStats(&ms)
	}
}

// BenchmarkSnapshotHTTP is one full poll over loopback, client and server
// (both in this process, so allocations of both are counted).
func BenchmarkSnapshotHTTP(b *testing.B) {
	a, err := Listen(Options{PortFileDir: "-"})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	url := "http://" + a.Addr() + Prefix + "snapshot"
	client := &http.Client{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
