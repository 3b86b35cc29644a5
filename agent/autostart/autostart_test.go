package autostart_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test binary cannot test autostart on itself: init would run before the
// test could point MEMORYWATCH_AGENT_DIR somewhere harmless. So it builds a
// small program that blank-imports autostart and runs that.
func buildProg(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a program; skipped in -short mode")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	exe := filepath.Join(t.TempDir(), "prog")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	out, err := exec.Command(goBin, "build", "-o", exe, "./testdata/prog").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr strings.Builder
}

// start runs prog with the port file directory set to dir and waits for it to
// finish initialising.
func start(t *testing.T, exe, dir string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(exe)}
	p.cmd.Env = append(os.Environ(), "MEMORYWATCH_AGENT_DIR="+dir)
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("prog said %q, %v; stderr: %s", line, err, p.stderr.String())
	}
	return p
}

// exit closes prog's stdin and checks that it exits normally.
func (p *proc) exit(t *testing.T) {
	t.Helper()
	p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("prog: %v; stderr: %s", err, p.stderr.String())
	}
}

type snapshot struct {
	PID int `json:"pid"`
	GC  struct {
		ForcedCycles uint64 `json:"forcedCycles"`
	} `json:"gc"`
}

func getSnapshot(t *testing.T, url string) snapshot {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != 200 {
		t.Fatalf("snapshot: %s %v", resp.Status, err)
	}
	return s
}

func TestAutostart(t *testing.T) {
	exe := buildProg(t)

	t.Run("listens", func(t *testing.T) {
		dir := t.TempDir()
		p := start(t, exe, dir)
		pid := p.cmd.Process.Pid
		b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(pid)+".json"))
		if err != nil {
			t.Fatalf("no port file: %v; stderr: %s", err, p.stderr.String())
		}
		var pf struct {
			Protocol int    `json:"protocol"`
			PID      int    `json:"pid"`
			Addr     string `json:"addr"`
			Prefix   string `json:"prefix"`
		}
		if err := json.Unmarshal(b, &pf); err != nil || pf.Protocol != 1 || pf.PID != pid || !strings.HasPrefix(pf.Addr, "127.0.0.1:") {
			t.Fatalf("port file %s: %v", b, err)
		}
		url := "http://" + pf.Addr + pf.Prefix + "snapshot"
		before := getSnapshot(t, url)
		if before.PID != pid {
			t.Errorf("snapshot pid %d, want %d", before.PID, pid)
		}
		if freeSignal != nil {
			// SIGUSR1 makes the program run FreeOSMemory, a forced GC.
			if err := p.cmd.Process.Signal(freeSignal); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(10 * time.Second); getSnapshot(t, url).GC.ForcedCycles <= before.GC.ForcedCycles; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("no forced GC after SIGUSR1")
				}
			}
		}
		p.exit(t)
		if p.stderr.Len() != 0 {
			t.Errorf("stderr: %s", p.stderr.String())
		}
	})

	t.Run("cannot start", func(t *testing.T) {
		notDir := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(notDir, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		p := start(t, exe, notDir) // the program still starts and runs
		p.exit(t)
		lines := strings.Split(strings.TrimSuffix(p.stderr.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "memorywatch agent: ") || !strings.HasSuffix(lines[0], "(autostart: agent not started)") {
			t.Errorf("stderr = %q, want one line", p.stderr.String())
		}
		t.Log(lines[0])
	})
}
