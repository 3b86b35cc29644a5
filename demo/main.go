// Command demo is the program `npm start` shows in VS Code: the seed article's HTTP server with
// a FreeOSMemory hook, plus a gentle load generator so the memory graph has something to show.
//
// Every 20 seconds it sends itself a burst of requests whose bodies are read into buffers and
// dropped (as in the seed): RSS jumps, the garbage collector frees the heap, but the Go runtime
// keeps the pages for a while. Press "Free OS Memory" in the graph to see them returned. It
// imports expvar, so the graph also shows what the Go runtime says its memory is made of.
package main

import (
	"bytes"
	_ "expvar" // Go memory figures at /debug/vars: Memory Watch finds them by itself
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8010", "listen address")
	pidFile := flag.String("pidfile", "", "write the PID here (Memory Watch can follow it: memoryWatch.pidFiles)")
	load := flag.Bool("load", true, "send itself a burst of requests every -every")
	every := flag.Duration("every", 45*time.Second, "time between load bursts")
	flag.Parse()

	http.HandleFunc("/load", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		n, _ := io.Copy(&buf, r.Body)
		fmt.Fprintf(w, "read %d bytes\n", n)
	})
	// The FreeOSMemory hook from the README (Memory Watch POSTs here).
	http.HandleFunc("/debug/freeosmemory", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		debug.FreeOSMemory()
		w.WriteHeader(http.StatusNoContent)
	})
	// And the signal hook, for memoryWatch.freeOSMemory.method = "signal".
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			debug.FreeOSMemory()
		}
	}()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		if *pidFile != "" {
			os.Remove(*pidFile)
		}
		os.Exit(0)
	}()

	fmt.Printf("listening on %s (PID %d, %s)\n", ln.Addr(), os.Getpid(), runtime.Version())
	if *load {
		go generateLoad("http://"+ln.Addr().String()+"/load", *every)
	}
	log.Fatal(http.Serve(ln, nil))
}

// generateLoad sends bursts of 12 concurrent 6 MiB bodies, then a trickle of light traffic —
// enough allocation that a GC follows the burst within seconds, as on a real server.
func generateLoad(url string, every time.Duration) {
	body := bytes.Repeat([]byte("x"), 6<<20)
	small := bytes.Repeat([]byte("y"), 1<<20)
	post := func(b []byte) {
		resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(b))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	burst := time.NewTicker(every)
	trickle := time.NewTicker(500 * time.Millisecond)
	time.Sleep(3 * time.Second) // a calm start, so the graph shows the baseline first
	for {
		var wg sync.WaitGroup
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); post(body) }()
		}
		wg.Wait()
	wait:
		for {
			select {
			case <-burst.C:
				break wait
			case <-trickle.C:
				post(small)
			}
		}
	}
}
