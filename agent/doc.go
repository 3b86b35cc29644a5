// Package agent is the companion agent of Memory Watch, a VS Code extension
// that charts a Go process's memory. It lets Memory Watch read the process's
// memory figures (from runtime/metrics, without stopping the world, and on
// Linux its memory cgroup's), fetch a heap profile, and ask it to run
// runtime/debug.FreeOSMemory.
//
// Add one of these to the program:
//
//	import _ "github.com/memorywatch/memory-watch/agent/autostart" // listen on 127.0.0.1, SIGUSR1 frees memory
//
//	a, err := agent.Listen(agent.Options{Signal: syscall.SIGUSR1}) // the same, under your control
//	defer a.Close()
//
//	mux.Handle(agent.Prefix, agent.Handler()) // on a loopback server the program already runs
//
// Listen writes a port file, <dir>/<pid>.json, containing
// {"protocol":1,"pid":…,"addr":"127.0.0.1:…","prefix":"/debug/memorywatch/"},
// where dir is $MEMORYWATCH_AGENT_DIR or os.UserConfigDir()/memorywatch/agents.
// Memory Watch reads it to find the agent of the process it watches.
//
// The endpoints, under Prefix, are:
//
//	GET  /debug/memorywatch/snapshot      a Snapshot as JSON (on Linux with the memory cgroup)
//	POST /debug/memorywatch/freeosmemory  runs FreeOSMemory, a Release as JSON;
//	                                      429 if one is running or ran less than MinInterval ago
//	GET  /debug/memorywatch/heap          the heap profile, gzipped pprof protobuf (as net/http/pprof);
//	                                      ?gc=1 runs a GC first; 429 while another is written
//
// The agent listens on loopback addresses only, exposes no command line,
// environment or heap contents (the heap profile names functions and source
// files, as net/http/pprof's does), and rate limits forced GCs.
package agent
