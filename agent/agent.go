package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure Listen. The zero value is ready to use.
type Options struct {
	// Addr is the address to listen on; default "127.0.0.1:0" (any free
	// port). It must be a loopback address (127.0.0.0/8, ::1 or localhost).
	Addr string

	// PortFileDir is where the port file <pid>.json is written, so Memory
	// Watch can find the agent. Default: $MEMORYWATCH_AGENT_DIR, else
	// os.UserConfigDir()/memorywatch/agents. "-" (here or in the
	// environment) writes no port file.
	PortFileDir string

	// Signal, if non-nil, also runs FreeOSMemory when the process receives
	// it (e.g. syscall.SIGUSR1), rate limited like the HTTP endpoint.
	// Ignored on Windows.
	Signal os.Signal

	// MinInterval is the minimum time between two forced GCs started by HTTP
	// (FreeOSMemory, a heap profile with ?gc=1) or Signal; default 1s.
	MinInterval time.Duration
}

// EnvDir is the environment variable that overrides the default port file
// directory.
const EnvDir = "MEMORYWATCH_AGENT_DIR"

// Agent is a running agent, started by Listen.
type Agent struct {
	ln         net.Listener
	srv        *http.Server
	served     chan struct{} // closed when Serve returns
	portFile   string        // "" if none was written
	stopSignal func()
	closeOnce  sync.Once
}

// Listen starts an HTTP server on opts.Addr that serves Handler's endpoints,
// and writes the port file. It fails, leaving nothing open, if the address is
// not loopback or the port file cannot be written.
func Listen(opts Options) (*Agent, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = defaultMinInterval
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("memorywatch agent: bad Addr %q: %w", opts.Addr, err)
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("memorywatch agent: Addr %q is not a loopback address (127.0.0.0/8, ::1, localhost)", opts.Addr)
	}
	dir, err := portFileDir(opts.PortFileDir)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("memorywatch agent: %w", err)
	}
	// "localhost" is resolved by the system; make sure it really was loopback.
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("memorywatch agent: %s resolved to non-loopback %s", opts.Addr, ln.Addr())
	}
	a := &Agent{ln: ln, served: make(chan struct{}), stopSignal: func() {}}
	if dir != "-" {
		if a.portFile, err = writePortFile(dir, ln.Addr().String()); err != nil {
			ln.Close()
			return nil, err
		}
	}

	a.srv = &http.Server{
		Handler:           hostGuard(handler{minInterval: opts.MinInterval}),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute, // Memory Watch polls over one kept-alive connection
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // don't write into the host program's stderr
	}
	go func() {
		defer close(a.served)
		a.srv.Serve(ln)
	}()
	if opts.Signal != nil {
		a.stopSignal = handleSignal(opts.Signal, opts.MinInterval)
	}
	return a, nil
}

// Addr returns the address the agent listens on, such as "127.0.0.1:43567".
func (a *Agent) Addr() string { return a.ln.Addr().String() }

// Close stops the server and the signal handler and removes the port file.
// It is safe to call more than once; later calls return nil.
func (a *Agent) Close() error {
	var err error
	a.closeOnce.Do(func() {
		a.stopSignal()
		err = a.srv.Close()
		<-a.served // after Close returns, the port is free
		if a.portFile != "" {
			if rerr := os.Remove(a.portFile); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
				err = rerr
			}
		}
	})
	return err
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// hostGuard rejects requests whose Host is not a loopback name: a web page
// that rebinds its own domain to 127.0.0.1 (DNS rebinding) sends that domain.
func hostGuard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host // no port
		}
		if !isLoopback(host) {
			http.Error(w, "forbidden: Host must be a loopback address", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func portFileDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(EnvDir)
	}
	if dir == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("memorywatch agent: no port file directory: %w", err)
		}
		dir = filepath.Join(cfg, "memorywatch", "agents")
	}
	return dir, nil
}

// portFile is the content of <dir>/<pid>.json.
type portFile struct {
	Protocol int    `json:"protocol"`
	PID      int    `json:"pid"`
	Addr     string `json:"addr"`
	Prefix   string `json:"prefix"`
}

// writePortFile writes the port file atomically (temp file + rename), so a
// reader never sees it half written, and returns its path.
func writePortFile(dir, addr string) (string, error) {
	pid := os.Getpid()
	data, err := json.Marshal(portFile{Protocol: ProtocolVersion, PID: pid, Addr: addr, Prefix: Prefix})
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("memorywatch agent: port file: %w", err)
	}
	f, err := os.CreateTemp(dir, ".memorywatch-*.tmp")
	if err != nil {
		return "", fmt.Errorf("memorywatch agent: port file: %w", err)
	}
	path := filepath.Join(dir, strconv.Itoa(pid)+".json")
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp uses 0600; readers may run as another user
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("memorywatch agent: port file: %w", err)
	}
	return path, nil
}
