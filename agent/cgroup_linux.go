package agent

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// The process's memory cgroup is found once, on the first snapshot; its files
// stay open and are re-read with ReadAt, like /proc/self/statm. A process is
// rarely moved to another cgroup, and then its old files simply stop being
// readable ("not known").
var selfCgroup struct {
	once sync.Once
	cg   *memCgroup // nil when the process is in no readable memory cgroup
}

// readCgroup returns the figures of the process's own memory cgroup, or nil.
func readCgroup() *Cgroup {
	selfCgroup.once.Do(func() { selfCgroup.cg = openMemCgroup("/", "/proc/self") })
	if selfCgroup.cg == nil {
		return nil
	}
	return selfCgroup.cg.read()
}

// noLimit: v1 writes "no limit" as 2^63-1 rounded down to the page size
// (9223372036854771712); nobody sets a real limit of an exbibyte.
const noLimit = 1 << 60

// cgroupLocation is where a memory cgroup's files are.
type cgroupLocation struct {
	version   int
	path      string // as /proc/PID/cgroup gives it
	dir       string // the cgroup's directory
	mountDir  string // the directory of the hierarchy's mount: the highest cgroup visible
	mountRoot string // the cgroup path of mountDir (mountinfo field 4)
}

// memCgroup holds the open files of one memory cgroup. Files that could not
// be opened are nil and read as "not known".
type memCgroup struct {
	version int
	path    string
	usage   *os.File // v2 memory.current, v1 memory.usage_in_bytes
	stat    *os.File // memory.stat
	events  *os.File // v2 memory.events, v1 memory.oom_control; both have "oom_kill N"
	peak    *os.File // v2 memory.peak, v1 memory.max_usage_in_bytes
	high    *os.File // v2 memory.high
	limits  []cgroupLimit

	mu  sync.Mutex // guards buf
	buf [16 << 10]byte
}

// cgroupLimit is the limit file of the cgroup or of one of its ancestors.
type cgroupLimit struct {
	path string // cgroup path, as in cgroupLocation.path
	f    *os.File
}

// openMemCgroup finds the memory cgroup that proc/cgroup names (proc is
// "/proc/self" or "/proc/PID"), looking up every path under root ("/"
// except in tests), and opens its files. It returns nil when there is none
// it can read, such as the v2 root cgroup, which has no memory.current.
func openMemCgroup(root, proc string) *memCgroup {
	loc, ok := findMemCgroup(root, proc)
	if !ok {
		return nil
	}
	open := func(dir, name string) *os.File {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil
		}
		return f
	}
	c := &memCgroup{version: loc.version, path: loc.path}
	limitName := "memory.limit_in_bytes"
	if loc.version == 2 {
		limitName = "memory.max"
		c.usage = open(loc.dir, "memory.current")
		c.events = open(loc.dir, "memory.events")
		c.peak = open(loc.dir, "memory.peak")
		c.high = open(loc.dir, "memory.high")
	} else {
		c.usage = open(loc.dir, "memory.usage_in_bytes")
		c.events = open(loc.dir, "memory.oom_control")
		c.peak = open(loc.dir, "memory.max_usage_in_bytes")
	}
	c.stat = open(loc.dir, "memory.stat")
	if c.usage == nil || c.stat == nil {
		c.close()
		return nil
	}
	// The limit that applies is the lowest on the way up: a container's may
	// sit on its pod, a service's on its slice.
	dir, cgPath := loc.dir, loc.path
	for {
		if f := open(dir, limitName); f != nil { // the v2 root has none
			c.limits = append(c.limits, cgroupLimit{path: cgPath, f: f})
		}
		if dir == loc.mountDir || cgPath == loc.mountRoot || cgPath == "/" {
			break
		}
		dir, cgPath = filepath.Dir(dir), path.Dir(cgPath)
	}
	return c
}

// close closes every open file.
func (c *memCgroup) close() {
	for _, f := range []*os.File{c.usage, c.stat, c.events, c.peak, c.high} {
		if f != nil {
			f.Close()
		}
	}
	for _, l := range c.limits {
		l.f.Close()
	}
}

// cgroupWithCount lets read return a Cgroup and its OOMKills in one allocation.
type cgroupWithCount struct {
	Cgroup
	oomKills uint64
}

// read returns the cgroup's current figures, or nil when its usage or
// memory.stat cannot be read (e.g. the cgroup has been removed).
func (c *memCgroup) read() *Cgroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	usage, ok := c.readNumber(c.usage)
	if !ok {
		return nil
	}
	inactiveKey := "total_inactive_file" // v1: this cgroup and its children, like usage_in_bytes
	if c.version == 2 {
		inactiveKey = "inactive_file"
	}
	inactive, ok := c.readKey(c.stat, inactiveKey)
	if !ok {
		return nil
	}
	r := &cgroupWithCount{Cgroup: Cgroup{
		Version:      c.version,
		Path:         c.path,
		Usage:        usage,
		InactiveFile: inactive,
	}}
	if usage > inactive {
		r.WorkingSet = usage - inactive
	}
	for _, l := range c.limits {
		if v, ok := c.readNumber(l.f); ok && v < noLimit && (r.Limit == 0 || v < r.Limit) {
			r.Limit, r.LimitPath = v, l.path
		}
	}
	if v, ok := c.readNumber(c.high); ok && v < noLimit {
		r.High = v
	}
	r.Peak, _ = c.readNumber(c.peak)
	if n, ok := c.readKey(c.events, "oom_kill"); ok {
		r.oomKills = n
		r.OOMKills = &r.oomKills
	}
	return &r.Cgroup
}

// readNumber reads a file holding one decimal number; "max" (v2's "no
// limit") reads as noLimit. ok is false for a nil, unreadable or malformed file.
func (c *memCgroup) readNumber(f *os.File) (v uint64, ok bool) {
	if f == nil {
		return 0, false
	}
	n, err := f.ReadAt(c.buf[:64], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, false
	}
	b := bytes.TrimSpace(c.buf[:n])
	if string(b) == "max" {
		return noLimit, true
	}
	return parseDecimal(b)
}

// readKey finds the line "key N" in a flat keyed file (memory.stat,
// memory.events, memory.oom_control) and returns N.
func (c *memCgroup) readKey(f *os.File, key string) (v uint64, ok bool) {
	if f == nil {
		return 0, false
	}
	n, err := f.ReadAt(c.buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, false
	}
	b := c.buf[:n]
	if n == len(c.buf) {
		// Cut off by a full buffer: keep whole lines only, so a number
		// is never read half.
		b = b[:bytes.LastIndexByte(b, '\n')+1]
	}
	return findKey(b, key)
}

// findKey returns N from the first line "key N" of b.
func findKey(b []byte, key string) (uint64, bool) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		if k, val, found := bytes.Cut(line, []byte{' '}); found && string(k) == key {
			return parseDecimal(val)
		}
	}
	return 0, false
}

// parseDecimal parses an unsigned decimal number without allocating,
// rejecting empty input, other characters and overflow.
func parseDecimal(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		next := v*10 + uint64(c-'0')
		if next/10 != v {
			return 0, false
		}
		v = next
	}
	return v, true
}

// findMemCgroup locates the memory cgroup named by proc/cgroup, through the
// mounts in proc/mountinfo, all looked up under root.
func findMemCgroup(root, proc string) (cgroupLocation, bool) {
	v1Path, v2Path := "", ""
	eachLine(filepath.Join(root, proc, "cgroup"), func(line string) bool {
		// hierarchy-ID:controller-list:cgroup-path (man 7 cgroups)
		id, rest, ok1 := strings.Cut(line, ":")
		controllers, p, ok2 := strings.Cut(rest, ":")
		switch {
		case !ok1 || !ok2 || !strings.HasPrefix(p, "/"):
		case id == "0" && controllers == "":
			v2Path = p
		case hasItem(controllers, "memory"):
			v1Path = p
		}
		return true
	})
	// The kernel puts a controller in one hierarchy only. A hybrid machine
	// lists both a v1 memory line and "0::", and its v2 mount lacks memory.
	if v1Path != "" {
		if loc, ok := findMount(root, proc, 1, v1Path); ok {
			return loc, true
		}
	}
	if v2Path != "" {
		if loc, ok := findMount(root, proc, 2, v2Path); ok {
			ctl, err := os.ReadFile(filepath.Join(loc.mountDir, "cgroup.controllers"))
			if err == nil && hasItem(strings.ReplaceAll(strings.TrimSpace(string(ctl)), " ", ","), "memory") {
				return loc, true
			}
		}
	}
	return cgroupLocation{}, false
}

// findMount finds the mount of the cgroup hierarchy (version 1: the one with
// the memory controller) that contains cgPath, and the cgroup's directory in it.
func findMount(root, proc string, version int, cgPath string) (loc cgroupLocation, found bool) {
	eachLine(filepath.Join(root, proc, "mountinfo"), func(line string) bool {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		// (1)(2)(3)   (4)   (5)      (6)      (7)    (8) (9)  (10)       (11)  — man 5 proc_pid_mountinfo
		fields := strings.Fields(line)
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 6 || sep < 0 || sep+3 >= len(fields) {
			return true
		}
		fsType, superOpts := fields[sep+1], fields[sep+3]
		if version == 1 && (fsType != "cgroup" || !hasItem(superOpts, "memory")) ||
			version == 2 && fsType != "cgroup2" {
			return true
		}
		mountRoot, ok1 := unescapeMountPath(fields[3])
		mountPoint, ok2 := unescapeMountPath(fields[4])
		if !ok1 || !ok2 || !strings.HasPrefix(mountRoot, "/") {
			return true
		}
		// A container without its own cgroup namespace sees its cgroup as
		// /docker/abc both here and as the mount's root; with one, both are
		// "/". Either way the cgroup lies below the mount's root.
		rel, ok := cutPathPrefix(cgPath, mountRoot)
		if !ok || rel == ".." || strings.HasPrefix(rel, "../") {
			return true // a cgroup outside this mount (or namespace)
		}
		mountDir := filepath.Join(root, filepath.FromSlash(mountPoint))
		loc = cgroupLocation{
			version:   version,
			path:      cgPath,
			dir:       filepath.Join(mountDir, filepath.FromSlash(rel)),
			mountDir:  mountDir,
			mountRoot: mountRoot,
		}
		found = true
		return false
	})
	return loc, found
}

// cutPathPrefix returns p relative to dir ("" for dir itself) when p is dir
// or lies below it, comparing whole path elements.
func cutPathPrefix(p, dir string) (string, bool) {
	if dir == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	rest, ok := strings.CutPrefix(p, dir)
	if !ok || rest != "" && rest[0] != '/' {
		return "", false
	}
	return strings.TrimPrefix(rest, "/"), true
}

// hasItem reports whether the comma-separated list has item.
func hasItem(list, item string) bool {
	for _, s := range strings.Split(list, ",") {
		if s == item {
			return true
		}
	}
	return false
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space,
// \011, \012, \134) in a path.
func unescapeMountPath(s string) (string, bool) {
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 >= len(s) {
			return "", false
		}
		v := 0
		for _, c := range []byte(s[i+1 : i+4]) {
			if c < '0' || c > '7' {
				return "", false
			}
			v = v*8 + int(c-'0')
		}
		if v > 0xff {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), true
}

// maxLine bounds a line of /proc/PID/cgroup or mountinfo; longer lines
// (which no cgroup mount has) are skipped rather than buffered.
const maxLine = 64 << 10

// eachLine calls fn for each line of the file until fn returns false.
// An unreadable file has no lines.
func eachLine(name string, fn func(line string) bool) {
	f, err := os.Open(name)
	if err != nil {
		return
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, maxLine)
	skipping := false
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			skipping = true
			continue
		}
		if !skipping && len(line) > 0 && !fn(strings.TrimSuffix(string(line), "\n")) {
			return
		}
		skipping = false
		if err != nil {
			return
		}
	}
}
