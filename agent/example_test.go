package agent_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/memorywatch/memory-watch/agent"
)

// Start the agent on a free loopback port. A real program would usually set
// Signal (e.g. syscall.SIGUSR1) and keep the default PortFileDir, so that
// Memory Watch can find it; "-" keeps this example from writing a port file.
func ExampleListen() {
	a, err := agent.Listen(agent.Options{PortFileDir: "-"})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	// This is what Memory Watch does, about once a second.
	resp, err := http.Get("http://" + a.Addr() + agent.Prefix + "snapshot")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var s agent.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, "protocol", s.Protocol, "heap objects > 0:", s.Memory.HeapObjects > 0)
	// Output: 200 OK protocol 1 heap objects > 0: true
}

// Serve the agent's endpoints from a mux the program already serves. Keep
// that server on a loopback address, e.g. http.ListenAndServe("127.0.0.1:6060", mux).
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle(agent.Prefix, agent.Handler())

	srv := httptest.NewServer(mux) // stands in for the program's own server
	defer srv.Close()

	resp, err := http.Post(srv.URL+agent.Prefix+"freeosmemory", "", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var r agent.Release
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, "heapFree after <= before:", r.After.HeapFree <= r.Before.HeapFree)
	// Output: 200 OK heapFree after <= before: true
}

// Print the current figures without any HTTP.
func ExampleTakeSnapshot() {
	s := agent.TakeSnapshot()
	fmt.Printf("%s: %d MiB mapped, %d MiB in live objects, %d goroutines\n",
		s.GoVersion, s.Memory.Total>>20, s.Memory.HeapObjects>>20, s.Goroutines)
	// On Linux in a container: how close the kernel is to killing it.
	if c := s.Cgroup; c != nil && c.Limit > 0 {
		fmt.Printf("working set %d MiB of the %d MiB limit set on %s\n",
			c.WorkingSet>>20, c.Limit>>20, c.LimitPath)
	}
}
