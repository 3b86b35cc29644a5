// Command costtarget is the watched program of the cost benchmarks: an idle Go service on
// loopback that exposes its memory one way (-source expvar, agent, metrics — Prometheus, as
// promhttp.Handler() serves it, with -own MiB of the service's own series — or none), plus what the bench
// reads to see what watching costs it: /bench/pauses, its stop-the-world pauses and GC cycles
// from runtime/metrics (reading them stops nothing).
//
//	costtarget -source expvar -pidfile /tmp/t.pid
//
// It prints "listening on ADDR (PID N)" once it accepts connections, then writes the PID file.
package main

import (
	"encoding/json"
	"expvar"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/metrics"
	"strconv"

	"github.com/memorywatch/memory-watch/agent"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Stop-the-world pauses, GC and other (ReadMemStats, which expvar's memstats calls, is "other").
var pauseMetrics = []string{"/sched/pauses/total/gc:seconds", "/sched/pauses/total/other:seconds", "/gc/cycles/total:gc-cycles"}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	source := flag.String("source", "expvar", "how the program exposes its memory: expvar, agent, metrics or none")
	own := flag.Float64("own", 0, "with -source metrics: about this many MiB of the service's own series on the page")
	pidFile := flag.String("pidfile", "", "write the PID here once listening")
	flag.Parse()

	mux := http.NewServeMux()
	switch *source {
	case "expvar":
		mux.Handle("/debug/vars", expvar.Handler())
	case "agent":
		mux.Handle(agent.Prefix, agent.Handler())
	case "metrics":
		if *own > 0 {
			ownSeries(*own)
		}
		mux.Handle("/metrics", promhttp.Handler())
	case "none":
	default:
		log.Fatalf("-source %q: want expvar, agent, metrics or none", *source)
	}
	mux.HandleFunc("/bench/pauses", servePauses)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s (PID %d)\n", ln.Addr(), os.Getpid())
	if *pidFile != "" {
		// Written whole under another name, then renamed: a watcher never reads half a PID.
		tmp := *pidFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *pidFile); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatal(http.Serve(ln, mux))
}

// servePauses answers the counts since the start: {"gcPauses":…, "otherPauses":…, "gcCycles":…}.
func servePauses(w http.ResponseWriter, _ *http.Request) {
	samples := make([]metrics.Sample, len(pauseMetrics))
	for i, name := range pauseMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	count := func(s metrics.Sample) uint64 {
		if s.Value.Kind() != metrics.KindFloat64Histogram {
			return 0
		}
		var n uint64
		for _, c := range s.Value.Float64Histogram().Counts {
			n += c
		}
		return n
	}
	var cycles uint64
	if samples[2].Value.Kind() == metrics.KindUint64 {
		cycles = samples[2].Value.Uint64()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]uint64{"gcPauses": count(samples[0]), "otherPauses": count(samples[1]), "gcCycles": cycles})
}

// ownSeries registers about `mib` MiB of a service's own series: a counter per route, as a large
// service's request metrics look on its page (sorted before go_*, so the Go families come after them).
func ownSeries(mib float64) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "app_requests_total", Help: "Requests served, by route and code."}, []string{"route", "code"})
	prometheus.MustRegister(requests)
	line := len(`app_requests_total{code="200",route="/api/v1/items/000000"} 123456`) + 1
	for i := 0; i < int(mib*(1<<20))/line; i++ {
		requests.WithLabelValues(fmt.Sprintf("/api/v1/items/%06d", i), "200").Add(float64(i))
	}
}
