package agent

// Tests against this machine's kernel: the test process's own memory cgroup,
// and a child cgroup with a 64 MiB limit in which a child process is OOM-killed.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ownMemoryLine returns the memory cgroup line of /proc/self/cgroup as
// (version, path), read independently of the code under test.
func ownMemoryLine(t *testing.T) (int, string) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skip("no /proc/self/cgroup:", err)
	}
	v2 := ""
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && hasItem(parts[1], "memory") {
			return 1, parts[2]
		}
		if len(parts) == 3 && parts[0] == "0" {
			v2 = parts[2]
		}
	}
	return 2, v2
}

func TestCgroupSelf(t *testing.T) {
	version, path := ownMemoryLine(t)
	c := TakeSnapshot().Cgroup
	if c == nil {
		if version == 2 && path == "/" {
			t.Skip("this process is in the v2 root cgroup, which has no memory.current")
		}
		t.Fatalf("no cgroup reported; /proc/self/cgroup says v%d %s", version, path)
	}
	t.Logf("own cgroup: %s", describe(c))
	if c.Version != version || c.Path != path {
		t.Errorf("version %d path %q; /proc/self/cgroup says v%d %q", c.Version, c.Path, version, path)
	}
	if c.Usage == 0 || c.WorkingSet > c.Usage || c.WorkingSet+c.InactiveFile != c.Usage && c.WorkingSet != 0 {
		t.Errorf("implausible usage: %s", describe(c))
	}
	if c.Peak != 0 && c.Peak < c.WorkingSet {
		t.Errorf("peak below working set: %s", describe(c))
	}
	// The snapshot reads the same files every time: a second one agrees
	// about what cannot have changed.
	if d := TakeSnapshot().Cgroup; d == nil || d.Path != c.Path || d.Limit != c.Limit || d.LimitPath != c.LimitPath {
		t.Errorf("second snapshot: %s", describe(d))
	}
}

// envCgroupChild names the cgroup directory the helper process joins.
const envCgroupChild = "MEMORYWATCH_TEST_CGROUP_CHILD"

// TestCgroupChildProcess is not a test: it is the child process of
// TestCgroupOOMKill, run from the same test binary. It joins the cgroup,
// prints its snapshot, waits for a line on stdin, then allocates until the
// kernel kills it.
func TestCgroupChildProcess(t *testing.T) {
	dir := os.Getenv(envCgroupChild)
	if dir == "" {
		t.Skip("helper process of TestCgroupOOMKill")
	}
	// Join first: memory charged before the move stays with the old cgroup.
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		fmt.Println("join:", err)
		os.Exit(2)
	}
	held := [][]byte{allocGarbage(4 * MiB)} // charged to the new cgroup
	json.NewEncoder(os.Stdout).Encode(TakeSnapshot())
	bufio.NewReader(os.Stdin).ReadString('\n')
	for {
		held = append(held, allocGarbage(8*MiB))
		if len(held) > 64 { // 512 MiB: the limit did not work
			fmt.Println("not killed at", len(held)*8, "MiB")
			os.Exit(3)
		}
	}
}

// makeTestCgroup creates a v1 memory cgroup inside the test process's own
// and removes it after the test, once its processes are gone.
func makeTestCgroup(t *testing.T, limit int) (dir, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a memory cgroup")
	}
	own, ok := findMemCgroup("/", "/proc/self")
	if !ok {
		t.Skip("this process is in no memory cgroup with a mounted hierarchy")
	}
	if own.version != 1 {
		t.Skipf("the memory controller is on cgroup v%d here; this test makes a v1 cgroup", own.version)
	}
	name := fmt.Sprintf("memorywatch-test-%d", os.Getpid())
	dir = filepath.Join(own.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a v1 memory cgroup in %s: %v", own.dir, err)
	}
	t.Cleanup(func() {
		// rmdir fails (EBUSY) while a process is in the cgroup; a killed
		// child leaves it only once reaped, which the test has done.
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				return
			}
		}
		procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		t.Errorf("cannot remove %s: %v (processes: %q)", dir, err, procs)
	})
	write(t, filepath.Join(dir, "memory.limit_in_bytes"), strconv.Itoa(limit))
	// With swap, the limit alone would let the child swap instead of dying.
	if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
		write(t, filepath.Join(dir, "memory.memsw.limit_in_bytes"), strconv.Itoa(limit))
	}
	return dir, strings.TrimSuffix(own.path, "/") + "/" + name
}

func TestCgroupOOMKill(t *testing.T) {
	if os.Getenv(envCgroupChild) != "" {
		t.Skip("in the helper process")
	}
	const limit = 64 * MiB
	dir, path := makeTestCgroup(t, limit)

	child := exec.Command(os.Args[0], "-test.run=^TestCgroupChildProcess$", "-test.count=1")
	child.Env = append(os.Environ(), envCgroupChild+"="+dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			child.Process.Kill()
			child.Wait()
		}
	})
	// A kernel that never kills the child must not hang the test.
	timer := time.AfterFunc(2*time.Minute, func() { child.Process.Kill() })
	defer timer.Stop()

	// (a) The child's own snapshot, taken inside the limited cgroup.
	var snap Snapshot
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "{") {
			if err := json.Unmarshal(lines.Bytes(), &snap); err != nil {
				t.Fatal(err)
			}
			break
		}
		t.Logf("child: %s", lines.Text())
	}
	c := snap.Cgroup
	if c == nil {
		t.Fatalf("child reported no cgroup; stderr: %s", stderr.String())
	}
	snapJSON, _ := json.Marshal(snap)
	t.Logf("child's snapshot: %s", snapJSON)
	if c.Version != 1 || c.Path != path || c.Limit != limit || c.LimitPath != path ||
		c.Usage < 4*MiB || c.WorkingSet > c.Usage || c.OOMKills == nil || *c.OOMKills != 0 {
		t.Errorf("child's cgroup = %s; want v1 %s, limit %d set there, usage ≥ 4 MiB, no OOM kill yet", describe(c), path, limit)
	}

	// (b) The parent resolves the child's cgroup with the same code, while
	// the child lives, then lets it allocate until the kernel kills it.
	cg := openMemCgroup("/", "/proc/"+strconv.Itoa(child.Process.Pid))
	if cg == nil {
		t.Fatal("cannot open the child's cgroup")
	}
	defer cg.close()
	before := cg.read()
	if before == nil || before.Path != path || before.OOMKills == nil {
		t.Fatalf("parent's view before: %s", describe(before))
	}
	start := time.Now()
	stdin.Write([]byte("allocate\n"))
	err = child.Wait()
	waited = true
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child ended with %v; stderr: %s", err, stderr.String())
	}
	ws := exit.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child ended with %v, want SIGKILL; stderr: %s", exit, stderr.String())
	}
	after := cg.read()
	t.Logf("parent's view after %v: %s", time.Since(start).Round(time.Millisecond), describe(after))
	if after == nil || after.OOMKills == nil || *after.OOMKills != *before.OOMKills+1 {
		t.Errorf("oomKills %s -> %s: want a rise by 1 (SIGKILL alone does not prove an OOM kill)", describe(before), describe(after))
	}
	if after == nil || after.Peak < 48*MiB || after.Peak > limit+4*MiB {
		t.Errorf("peak %s: want 48 MiB … the limit", describe(after))
	}
}
