//go:build linux

// memwatch-sampler samples one process's /proc/PID/status on a wall-clock grid and hands the
// samples to Memory Watch in batches, so that watching at 10 Hz does not wake the editor's
// extension host ten times a second.
//
// Why a process of its own: on our test machine a sample taken in the extension host costs ≈ 430 µs
// of CPU (≈ 200 of it Node's wake-up alone), a C loop doing the same read ≈ 90 µs, and this loop
// ≈ 160 µs (bench/RESULTS.md, "One sample in the extension host"). The extension host then wakes
// once a second for ten samples instead of ten times.
//
//	memwatch-sampler <pid> <start-time> <interval-ms> <flush-ms>
//
// <start-time> is field 22 of /proc/PID/stat as Memory Watch saw it: the sampler refuses a
// process that started at another time (the PID was reused). It keeps /proc/PID/status open and
// re-reads it from offset 0; once the process is gone that read fails with ESRCH, so it can never
// drift onto a stranger.
//
// Output (stdout), frames in order:
//
//	R\n                        the process is open and is the one asked for
//	S <time-ms> <length>\n<bytes>  one sample: the status file as the kernel wrote it
//	L <time-ms> <cost-µs> <length>\n<bytes>  /proc/PID/smaps_rollup, read when asked ('l');
//	                           length 0: it could not be read (no access, too large)
//	X <time-ms> <errno>\n      the read failed (errno 3, ESRCH: the process is gone); the sampler exits
//	E <reason>\n               it could not start: "usage", "open <errno>", "reused", "gone"
//
// Samples go out every <flush-ms> (0: each as it is taken), with any L frame among them in the
// order taken. Input (stdin): 'q' sends what waits and exits; 'l' reads smaps_rollup (LazyFree)
// now — Memory Watch decides when, and how often its cost allows; reading it here spares the
// extension host a thread-pool round trip and its wake-ups. When stdin closes (Memory Watch
// stopped or died) it exits.
package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// statusBufferSize bounds one sample: /proc/PID/status is ≈ 1.5 KiB; a larger one is refused.
const statusBufferSize = 8192

// smapsBufferSize bounds one smaps_rollup read (≈ 1 KiB; Memory Watch's own buffer is as large).
const smapsBufferSize = 4096

// outBufferSize bounds what waits to be written: a batch is flushed before it could overflow it.
const outBufferSize = 64 * 1024

type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollIn  = 0x1
	pollErr = 0x8
	pollHup = 0x10
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) != 4 {
		fail("usage")
		return 2
	}
	pid, err1 := strconv.Atoi(args[0])
	startTime := args[1]
	intervalMs, err2 := strconv.ParseInt(args[2], 10, 64)
	flushMs, err3 := strconv.ParseInt(args[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || pid <= 0 || intervalMs < 1 || flushMs < 0 {
		fail("usage")
		return 2
	}
	status, smaps, code := openBound(pid, startTime)
	if code != 0 {
		return code
	}
	s := &sampler{status: status, smaps: smaps, interval: intervalMs, flushEvery: flushMs, out: make([]byte, 0, outBufferSize), buf: make([]byte, statusBufferSize), smapsBuf: make([]byte, smapsBufferSize)}
	s.write([]byte("R\n"))
	return s.loop()
}

// openBound opens /proc/PID/status (and smaps_rollup, -1 when it cannot: it needs ptrace access)
// and checks, through a kept-open stat opened after them, that they belong to the process that
// started at startTime (had the PID been reused between the opens, the first ones would be bound
// to the dead process, and fail).
func openBound(pid int, startTime string) (int, int, int) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	status, err := syscall.Open(dir+"status", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		fail("open " + strconv.Itoa(int(err.(syscall.Errno))))
		return -1, -1, 1
	}
	smaps, err := syscall.Open(dir+"smaps_rollup", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		smaps = -1
	}
	stat, err := syscall.Open(dir+"stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		fail("open " + strconv.Itoa(int(err.(syscall.Errno))))
		return -1, -1, 1
	}
	defer syscall.Close(stat)
	buf := make([]byte, 1024)
	n, err := syscall.Pread(stat, buf, 0)
	if err != nil || n <= 0 {
		fail("gone")
		return -1, -1, 1
	}
	state, start, ok := statFields(buf[:n])
	if !ok {
		fail("gone")
		return -1, -1, 1
	}
	if start != startTime {
		fail("reused")
		return -1, -1, 3
	}
	if state == 'Z' || state == 'X' {
		fail("gone")
		return -1, -1, 1
	}
	return status, smaps, 0
}

// statFields returns the state (field 3) and start time (field 22) of a /proc/PID/stat text. The
// command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
func statFields(text []byte) (byte, string, bool) {
	close := -1
	for i := len(text) - 1; i >= 0; i-- {
		if text[i] == ')' {
			close = i
			break
		}
	}
	if close < 0 || close+2 >= len(text) {
		return 0, "", false
	}
	field := 3
	begin := close + 2
	var state byte
	for i := begin; i <= len(text); i++ {
		if i == len(text) || text[i] == ' ' || text[i] == '\n' {
			if field == 3 && i > begin {
				state = text[begin]
			}
			if field == 22 {
				return state, string(text[begin:i]), i > begin
			}
			field++
			begin = i + 1
		}
	}
	return 0, "", false
}

func fail(reason string) {
	os.Stdout.Write([]byte("E " + reason + "\n"))
}

type sampler struct {
	status     int
	smaps      int
	smapsBuf   []byte
	interval   int64
	flushEvery int64
	out        []byte
	buf        []byte
	lastFlush  int64
}

// loop samples at every multiple of the interval (wall clock, as Memory Watch's own clock does)
// until stdin closes or the process is gone. It sleeps in one ppoll on stdin, through the
// scheduler's syscall path: measured against a C loop (90 µs a tick), this costs ≈ 160 µs, a
// time.Sleep loop ≈ 200, and a RawSyscall ≈ 550 — the runtime then sees a goroutine running for
// 100 ms and its sysmon thread wakes every 10 ms to preempt it.
func (s *sampler) loop() int {
	fds := []pollFd{{fd: 0, events: pollIn}}
	cmd := make([]byte, 64)
	now := time.Now().UnixMilli()
	s.lastFlush = now
	next := (now/s.interval + 1) * s.interval
	for {
		wait := next - time.Now().UnixMilli()
		if wait > 0 {
			ts := syscall.NsecToTimespec(wait * int64(time.Millisecond))
			fds[0].revents = 0
			n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
			if errno == syscall.EINTR {
				continue
			}
			if n > 0 {
				if fds[0].revents&pollIn != 0 {
					r, err := syscall.Read(0, cmd)
					if r <= 0 || err != nil {
						return 0
					}
					for _, c := range cmd[:r] {
						switch c {
						case 'q':
							s.flush()
							return 0
						case 'l':
							s.readSmaps()
						}
					}
				} else if fds[0].revents&(pollHup|pollErr) != 0 {
					return 0
				}
				continue
			}
		}
		at := time.Now().UnixMilli()
		next = (at/s.interval + 1) * s.interval
		if !s.sample(at) {
			s.flush()
			return 0
		}
		if at-s.lastFlush >= s.flushEvery || len(s.out)+statusBufferSize+64 > cap(s.out) {
			if !s.flush() {
				return 0
			}
			s.lastFlush = at
		}
	}
}

// sample appends one frame: the status file, or X when it cannot be read (false: the end).
func (s *sampler) sample(at int64) bool {
	n, _, errno := syscall.Syscall6(syscall.SYS_PREAD64, uintptr(s.status), uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)), 0, 0, 0)
	if errno != 0 || int(n) >= len(s.buf) {
		code := int64(errno)
		if errno == 0 {
			code = int64(syscall.EFBIG)
		}
		s.out = append(s.out, 'X', ' ')
		s.out = strconv.AppendInt(s.out, at, 10)
		s.out = append(s.out, ' ')
		s.out = strconv.AppendInt(s.out, code, 10)
		s.out = append(s.out, '\n')
		return false
	}
	s.out = append(s.out, 'S', ' ')
	s.out = strconv.AppendInt(s.out, at, 10)
	s.out = append(s.out, ' ')
	s.out = strconv.AppendInt(s.out, int64(n), 10)
	s.out = append(s.out, '\n')
	s.out = append(s.out, s.buf[:n]...)
	return true
}

// readSmaps appends an L frame: smaps_rollup as the kernel wrote it, and how long the read took
// (the kernel walks every page table entry: ≈ 0.25 ms for a small process, ≈ 17 ms for 2 GiB
// resident — Memory Watch spaces its asks by that cost).
func (s *sampler) readSmaps() {
	n := 0
	started := time.Now()
	if s.smaps >= 0 {
		read, _, errno := syscall.Syscall6(syscall.SYS_PREAD64, uintptr(s.smaps), uintptr(unsafe.Pointer(&s.smapsBuf[0])), uintptr(len(s.smapsBuf)), 0, 0, 0)
		if errno == 0 && int(read) < len(s.smapsBuf) {
			n = int(read)
		}
	}
	cost := time.Since(started).Microseconds()
	// Room for this frame and a sample after it (the loop makes room before the next one only).
	if len(s.out)+n+statusBufferSize+128 > cap(s.out) && !s.flush() {
		return
	}
	s.out = append(s.out, 'L', ' ')
	s.out = strconv.AppendInt(s.out, started.UnixMilli(), 10)
	s.out = append(s.out, ' ')
	s.out = strconv.AppendInt(s.out, cost, 10)
	s.out = append(s.out, ' ')
	s.out = strconv.AppendInt(s.out, int64(n), 10)
	s.out = append(s.out, '\n')
	s.out = append(s.out, s.smapsBuf[:n]...)
}

// flush writes what waits; false when Memory Watch is gone (a broken pipe).
func (s *sampler) flush() bool {
	ok := s.write(s.out)
	s.out = s.out[:0]
	return ok
}

func (s *sampler) write(b []byte) bool {
	for len(b) > 0 {
		n, err := syscall.Write(1, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		b = b[n:]
	}
	return true
}
