//go:build linux

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var helper string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "memwatch-sampler")
	if err != nil {
		panic(err)
	}
	helper = filepath.Join(dir, "memwatch-sampler")
	if out, err := exec.Command("go", "build", "-o", helper, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sleeper starts a process to sample and returns it with its start time (stat field 22).
func sleeper(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	_, start, ok := statFields(stat)
	if !ok {
		t.Fatalf("no start time in %q", stat)
	}
	return cmd, start
}

type frame struct {
	kind string
	time int64
	body string
	at   time.Time
}

// started runs the helper and returns its frames as they come, and its stdin.
func started(t *testing.T, args ...string) (<-chan frame, io.WriteCloser, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(helper, args...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	frames := make(chan frame, 1000)
	go func() {
		defer close(frames)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			f := strings.Fields(line)
			fr := frame{kind: f[0], at: time.Now()}
			if len(f) > 1 {
				fr.time, _ = strconv.ParseInt(f[1], 10, 64)
			}
			if f[0] == "S" || f[0] == "L" {
				n, _ := strconv.Atoi(f[len(f)-1])
				body := make([]byte, n)
				if _, err := io.ReadFull(r, body); err != nil {
					return
				}
				fr.body = string(body)
			} else if f[0] == "E" {
				fr.body = strings.TrimSpace(line[2:])
			}
			frames <- fr
		}
	}()
	return frames, stdin, cmd
}

// readyOnSleeper runs the helper on a new sleeper process with the interval and batch period
// given, and returns once it has said it is ready (R).
func readyOnSleeper(t *testing.T, intervalMs, flushMs string) (<-chan frame, io.WriteCloser, *exec.Cmd) {
	t.Helper()
	target, start := sleeper(t)
	frames, stdin, cmd := started(t, strconv.Itoa(target.Process.Pid), start, intervalMs, flushMs)
	if f := next(t, frames, 2*time.Second); f.kind != "R" {
		t.Fatalf("first frame %+v, want R", f)
	}
	return frames, stdin, cmd
}

func next(t *testing.T, frames <-chan frame, within time.Duration) frame {
	t.Helper()
	select {
	case f, ok := <-frames:
		if !ok {
			t.Fatal("the helper closed its output")
		}
		return f
	case <-time.After(within):
		t.Fatalf("no frame within %v", within)
	}
	return frame{}
}

func TestBatchesOnTheGrid(t *testing.T) {
	frames, stdin, _ := readyOnSleeper(t, "100", "500")
	defer stdin.Close()
	var samples []frame
	for len(samples) < 12 {
		samples = append(samples, next(t, frames, 2*time.Second))
	}
	for i, s := range samples {
		if s.kind != "S" || !strings.Contains(s.body, "VmRSS:") || !strings.Contains(s.body, "Name:\tsleep") {
			t.Fatalf("sample %d is not sleep's status: %+v", i, s)
		}
		if s.time%100 > 30 {
			t.Errorf("sample at %d ms: off the 100 ms grid", s.time)
		}
		if i > 0 && (s.time-samples[i-1].time < 70 || s.time-samples[i-1].time > 200) {
			t.Errorf("samples %d ms apart", s.time-samples[i-1].time)
		}
	}
	// Batched every 500 ms: most samples reach us well after they were taken, in groups.
	late := 0
	for _, s := range samples {
		if s.at.UnixMilli()-s.time > 150 {
			late++
		}
	}
	if late < len(samples)/2 {
		t.Errorf("only %d of %d samples came late: not batched", late, len(samples))
	}
}

func TestEachSampleAtOnceWithNoBatch(t *testing.T) {
	frames, stdin, _ := readyOnSleeper(t, "100", "0")
	defer stdin.Close()
	for i := 0; i < 5; i++ {
		s := next(t, frames, time.Second)
		if lag := s.at.UnixMilli() - s.time; s.kind != "S" || lag > 60 {
			t.Fatalf("sample %+v came %d ms late", s.kind, lag)
		}
	}
}

func TestQuitSendsWhatItHolds(t *testing.T) {
	frames, stdin, cmd := readyOnSleeper(t, "100", "10000")
	time.Sleep(350 * time.Millisecond)
	select {
	case f := <-frames:
		t.Fatalf("batched (every 10 s), yet a frame came: %+v", f.kind)
	default:
	}
	stdin.Write([]byte("q"))
	held := 0
	for f := range frames {
		if f.kind == "S" {
			held++
		}
	}
	if held < 2 {
		t.Errorf("quit sent %d held samples, want the ≈ 3 taken", held)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
}

func TestReadsSmapsRollupWhenAsked(t *testing.T) {
	frames, stdin, _ := readyOnSleeper(t, "100", "300")
	defer stdin.Close()
	// Nothing but samples until asked.
	for i := 0; i < 5; i++ {
		if f := next(t, frames, 2*time.Second); f.kind != "S" {
			t.Fatalf("unasked: %+v", f)
		}
	}
	asked := time.Now().UnixMilli()
	stdin.Write([]byte("l"))
	for i := 0; i < 10; i++ {
		f := next(t, frames, 2*time.Second)
		if f.kind == "S" {
			continue
		}
		if f.kind != "L" || !strings.Contains(f.body, "Rss:") || !strings.Contains(f.body, "LazyFree:") {
			t.Fatalf("want smaps_rollup, got %+v", f)
		}
		if f.time < asked-5 || f.time > asked+200 {
			t.Errorf("read at %d, asked at %d", f.time, asked)
		}
		return
	}
	t.Fatal("no L frame within 10 samples of asking")
}

func TestExitsWhenStdinCloses(t *testing.T) {
	_, stdin, cmd := readyOnSleeper(t, "100", "1000")
	stdin.Close()
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("still running a second after its stdin closed")
	}
}

func TestTheProcessGoes(t *testing.T) {
	target, start := sleeper(t)
	frames, stdin, _ := started(t, strconv.Itoa(target.Process.Pid), start, "100", "100000")
	defer stdin.Close()
	next(t, frames, 2*time.Second)
	time.Sleep(250 * time.Millisecond)
	target.Process.Kill()
	target.Wait()
	var last frame
	samples := 0
	for f := range frames {
		if f.kind == "S" {
			samples++
		}
		last = f
	}
	if last.kind != "X" || last.time == 0 {
		t.Fatalf("last frame %+v, want X", last)
	}
	if samples < 1 {
		t.Errorf("the samples before the end were lost")
	}
}

func TestRefusals(t *testing.T) {
	target, start := sleeper(t)
	pid := strconv.Itoa(target.Process.Pid)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{pid, "1", "100", "1000"}, "reused"},
		{[]string{"999999999", start, "100", "1000"}, "open 2"},
		{[]string{pid, start, "0", "1000"}, "usage"},
		{[]string{pid, start, "100"}, "usage"},
		{[]string{"-1", start, "100", "1000"}, "usage"},
	} {
		frames, _, _ := started(t, c.args...)
		f := next(t, frames, 2*time.Second)
		if f.kind != "E" || f.body != c.want {
			t.Errorf("%v: %+v, want E %s", c.args, f, c.want)
		}
	}
}

func TestStatFields(t *testing.T) {
	state, start, ok := statFields([]byte("4242 (my server) (x)) S 1 4242 4242 0 -1 4194560 1371 0 0 0 25 7 0 0 20 0 6 0 1234567 1263132672 3045 18446744073709551615\n"))
	if !ok || state != 'S' || start != "1234567" {
		t.Fatalf("got %c %q %v", state, start, ok)
	}
	if _, _, ok := statFields([]byte("4242 (x) S 1 2")); ok {
		t.Fatal("a truncated stat has no start time")
	}
}
