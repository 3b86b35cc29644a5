package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func count(n uint64) *uint64 { return &n }

// readCgroupAt resolves and reads the memory cgroup of a recorded machine.
func readCgroupAt(t *testing.T, root string) *Cgroup {
	t.Helper()
	c := openMemCgroup(root, "/proc/self")
	if c == nil {
		return nil
	}
	t.Cleanup(c.close)
	return c.read()
}

func describe(c *Cgroup) string {
	if c == nil {
		return "nil"
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// The cases under testdata/cgroup; see its README.md for where each comes from.
func TestCgroupRecorded(t *testing.T) {
	const (
		pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f3c2a91_5d2e_4b8a_9c61_0e4f8a7b3d21.slice"
		ctr = pod + "/cri-containerd-4b1e9d07c2a35f6e8d90b1c4a7f2e3d5c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2.scope"
		rec = "/process_api/3133680ab407aeb24af62bec02956990/mw-rec-31895"
		dkr = "/docker/9f0c4e7b2a1d8c3f6e5b4a7d2c1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e"
	)
	for name, want := range map[string]*Cgroup{
		// The pod's 512 MiB is lower than kubepods.slice's 7.3 GiB; the
		// container itself says "max".
		"v2-parent-limit": {Version: 2, Path: ctr, Usage: 314572800, Limit: 536870912, LimitPath: pod,
			High: 469762048, InactiveFile: 41943040, WorkingSet: 272629760, Peak: 402653184, OOMKills: count(2)},
		// No limit, no high, no memory.peak: omitted; no OOM kill yet: 0, not omitted.
		"v2-namespace-unlimited": {Version: 2, Path: "/", Usage: 8654848, InactiveFile: 2097152,
			WorkingSet: 6557696, OOMKills: count(0)},
		"v2-root": nil,
		// Recorded here: the limit sits on the parent of the process's cgroup.
		"v1-hybrid": {Version: 1, Path: rec + "/inner", Usage: 28434432, Limit: 64 << 20, LimitPath: rec,
			InactiveFile: 102400, WorkingSet: 28332032, Peak: 67358720, OOMKills: count(1)},
		// Mount root /docker/<id>: the mount point is the cgroup itself;
		// a 4.9 kernel's memory.oom_control has no oom_kill line.
		"v1-container": {Version: 1, Path: dkr, Usage: 120954880, Limit: 256 << 20, LimitPath: dkr,
			InactiveFile: 25165824, WorkingSet: 95789056, Peak: 201326592},
	} {
		t.Run(name, func(t *testing.T) {
			got := readCgroupAt(t, filepath.Join("testdata", "cgroup", name))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", describe(got), describe(want))
			}
		})
	}
}

func TestCgroupJSON(t *testing.T) {
	for name, keys := range map[string]string{
		"v2-parent-limit":        `{"version":2,"path":"/kubepods.slice/`,
		"v2-namespace-unlimited": `{"version":2,"path":"/","usage":8654848,"inactiveFile":2097152,"workingSet":6557696,"oomKills":0}`,
		"v1-container":           `"peak":201326592}`,
	} {
		got := describe(readCgroupAt(t, filepath.Join("testdata", "cgroup", name)))
		if !strings.Contains(got, keys) {
			t.Errorf("%s: %s does not contain %s", name, got, keys)
		}
	}
	got := describe(readCgroupAt(t, filepath.Join("testdata", "cgroup", "v2-parent-limit")))
	var m map[string]any
	json.Unmarshal([]byte(got), &m)
	if k := keys(m); k != "high,inactiveFile,limit,limitPath,oomKills,path,peak,usage,version,workingSet" {
		t.Errorf("keys %s", k)
	}
}

// copyTree copies a recorded machine into a temporary directory, so a test
// can change its files.
func copyTree(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "cgroup", name)
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The cgroup is found once; each read sees the files' current values,
// including a limit changed on a parent (as `docker update` or an in-place
// pod resize does).
func TestCgroupReReadsValues(t *testing.T) {
	root := copyTree(t, "v2-parent-limit")
	c := openMemCgroup(root, "/proc/self")
	if c == nil {
		t.Fatal("not found")
	}
	defer c.close()
	first := c.read()
	cg := filepath.Join(root, "sys/fs/cgroup")
	ctr := filepath.Join(cg, filepath.FromSlash(strings.TrimPrefix(first.Path, "/")))
	write(t, filepath.Join(ctr, "memory.current"), "400000000\n")
	write(t, filepath.Join(ctr, "memory.events"), "low 0\nhigh 0\nmax 18\noom 3\noom_kill 3\noom_group_kill 0\n")
	write(t, filepath.Join(ctr, "memory.high"), "max\n")
	write(t, filepath.Join(cg, "kubepods.slice/memory.max"), "268435456\n")
	// A moved process still resolves to the old cgroup: files are not looked up again.
	write(t, filepath.Join(root, "proc/self/cgroup"), "0::/elsewhere\n")
	second := c.read()
	want := *first
	want.Usage, want.WorkingSet, want.OOMKills = 400000000, 400000000-41943040, count(3)
	want.High, want.Limit, want.LimitPath = 0, 268435456, "/kubepods.slice"
	if !reflect.DeepEqual(second, &want) {
		t.Errorf("after changes\ngot  %s\nwant %s", describe(second), describe(&want))
	}
	if got := openMemCgroup(root, "/proc/self"); got != nil {
		got.close()
		t.Error("found a cgroup in /elsewhere, which does not exist")
	}
	// Reads of a removed cgroup's files fail (ENODEV); a closed file fails
	// the same way: nothing is reported, and nothing panics.
	c.usage.Close()
	if got := c.read(); got != nil {
		t.Errorf("read with usage unreadable: %s", describe(got))
	}
}

// On a hybrid machine whose v1 memory hierarchy is not mounted, the cgroup2
// mount (without the memory controller) must not be taken instead.
func TestCgroupHybridWithoutMemoryMount(t *testing.T) {
	root := copyTree(t, "v1-hybrid")
	mi := filepath.Join(root, "proc/self/mountinfo")
	b, _ := os.ReadFile(mi)
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasSuffix(line, " rw,memory") {
			kept = append(kept, line)
		}
	}
	write(t, mi, strings.Join(kept, "\n"))
	// Files alone do not decide: cgroup.controllers ("hugetlb") does.
	unified := filepath.Join(root, "sys/fs/cgroup/unified")
	write(t, filepath.Join(unified, "memory.current"), "123\n")
	write(t, filepath.Join(unified, "memory.stat"), "inactive_file 0\n")
	if got := readCgroupAt(t, root); got != nil {
		t.Errorf("got %s from a cgroup2 mount without memory", describe(got))
	}
	// With the memory controller there, the same files are read.
	write(t, filepath.Join(unified, "cgroup.controllers"), "memory hugetlb\n")
	if got := readCgroupAt(t, root); got == nil || got.Version != 2 || got.Path != "/" || got.Usage != 123 {
		t.Errorf("got %s from a cgroup2 mount with memory", describe(got))
	}
}

// Files from the target machine are untrusted: malformed ones mean "not
// known", never a panic or a made-up number.
func TestCgroupMalformed(t *testing.T) {
	const ctrRel = "sys/fs/cgroup/memory"
	for _, c := range []struct {
		name, file, content string
		check               func(*Cgroup) bool
	}{
		{"usage not a number", ctrRel + "/memory.usage_in_bytes", "12abc\n", isNil},
		{"usage negative", ctrRel + "/memory.usage_in_bytes", "-1\n", isNil},
		{"usage overflows", ctrRel + "/memory.usage_in_bytes", "18446744073709551616\n", isNil},
		{"usage empty", ctrRel + "/memory.usage_in_bytes", "", isNil},
		{"no inactive file", ctrRel + "/memory.stat", "cache 1\nrss 2\n", isNil},
		{"stat garbage", ctrRel + "/memory.stat", "\x00\xff\n\n total_inactive_file 5\ntotal_inactive_file\n", isNil},
		{"limit garbage", ctrRel + "/memory.limit_in_bytes", "lots\n", func(c *Cgroup) bool { return c != nil && c.Limit == 0 && c.LimitPath == "" }},
		{"oom_kill garbage", ctrRel + "/memory.oom_control", "oom_kill x\n", func(c *Cgroup) bool { return c != nil && c.OOMKills == nil }},
		{"peak garbage", ctrRel + "/memory.max_usage_in_bytes", "1e9\n", func(c *Cgroup) bool { return c != nil && c.Peak == 0 }},
		{"inactive above usage", ctrRel + "/memory.stat", "total_inactive_file 999999999999\n", func(c *Cgroup) bool {
			return c != nil && c.WorkingSet == 0 && c.InactiveFile == 999999999999
		}},
		// A memory.stat longer than the buffer: the line cut in the middle
		// ("total_inactive_file 2516|5824") must not read as 2516.
		{"stat cut by the buffer", ctrRel + "/memory.stat", statCutAt(16<<10-24, "total_inactive_file 25165824\n"), isNil},
		{"stat just fits", ctrRel + "/memory.stat", statCutAt(16<<10-29, "total_inactive_file 25165824\n"),
			func(c *Cgroup) bool { return c != nil && c.InactiveFile == 25165824 }},
		{"cgroup file garbage", "proc/self/cgroup", "\x00::\n:\n4:memory\n4:memory:relative\n", isNil},
		{"outside the namespace", "proc/self/cgroup", "4:memory:/../../init.scope\n", isNil},
		{"mountinfo garbage", "proc/self/mountinfo", "1 2 3\n- - - - - - - - -\n\n" + strings.Repeat("x", 100<<10) + "\n", isNil},
		// A line longer than any buffer is skipped; the mount after it is still found.
		{"long line before the mount", "proc/self/mountinfo", strings.Repeat("y", 200<<10) + "\n" +
			"201 197 0:29 /docker/9f0c4e7b2a1d8c3f6e5b4a7d2c1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
			func(c *Cgroup) bool { return c != nil && c.Usage == 120954880 }},
		{"mount root elsewhere", "proc/self/mountinfo", "201 197 0:29 /docker/other /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n", isNil},
		{"bad escape in mount point", "proc/self/mountinfo", "201 197 0:29 / /sys/fs/cgroup/memory\\09 ro - cgroup cgroup rw,memory\n", isNil},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := copyTree(t, "v1-container")
			write(t, filepath.Join(root, c.file), c.content)
			if got := readCgroupAt(t, root); !c.check(got) {
				t.Errorf("got %s", describe(got))
			}
		})
	}
}

func isNil(c *Cgroup) bool { return c == nil }

// statCutAt pads a memory.stat with lines so that line starts at offset at.
func statCutAt(at int, line string) string {
	var b strings.Builder
	for b.Len() < at-20 {
		b.WriteString("padding_key 1234567\n")
	}
	b.WriteString("pad " + strings.Repeat("9", at-b.Len()-5) + "\n")
	return b.String() + line + "total_cache 1\n"
}

// A mount point with a space is escaped in mountinfo as \040.
func TestCgroupEscapedMountPoint(t *testing.T) {
	root := copyTree(t, "v2-namespace-unlimited")
	if err := os.Rename(filepath.Join(root, "sys/fs/cgroup"), filepath.Join(root, "sys/fs/my cgroup")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "proc/self/mountinfo"),
		"1269 1268 0:27 / /sys/fs/my\\040cgroup ro,nosuid - cgroup2 cgroup rw,nsdelegate\n")
	if got := readCgroupAt(t, root); got == nil || got.Usage != 8654848 {
		t.Errorf("got %s", describe(got))
	}
}

func TestCgroupHelpers(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "42": 42, "18446744073709551615": 1<<64 - 1} {
		if v, ok := parseDecimal([]byte(in)); !ok || v != want {
			t.Errorf("parseDecimal(%q) = %d, %v", in, v, ok)
		}
	}
	for _, in := range []string{"", "-1", "1.5", " 1", "18446744073709551616", "99999999999999999999", "123456789012345678901"} {
		if v, ok := parseDecimal([]byte(in)); ok {
			t.Errorf("parseDecimal(%q) = %d", in, v)
		}
	}
	for _, c := range []struct {
		p, dir, rel string
		ok          bool
	}{
		{"/a/b", "/", "a/b", true}, {"/", "/", "", true}, {"/docker/abc", "/docker/abc", "", true},
		{"/docker/abc/x", "/docker/abc", "x", true}, {"/docker/abcd", "/docker/abc", "", false},
		{"/other", "/docker/abc", "", false},
	} {
		if rel, ok := cutPathPrefix(c.p, c.dir); rel != c.rel || ok != c.ok {
			t.Errorf("cutPathPrefix(%q, %q) = %q, %v", c.p, c.dir, rel, ok)
		}
	}
	for in, want := range map[string]string{`/a\040b`: "/a b", `/tab\011x`: "/tab\tx", `/back\134`: `/back\`, "/plain": "/plain"} {
		if got, ok := unescapeMountPath(in); !ok || got != want {
			t.Errorf("unescapeMountPath(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{`/a\04`, `/a\0x0`, `/a\777`} {
		if got, ok := unescapeMountPath(in); ok {
			t.Errorf("unescapeMountPath(%q) = %q", in, got)
		}
	}
}
