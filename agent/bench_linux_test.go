package agent

import "testing"

var cgroupSink *Cgroup

// BenchmarkReadCgroup is the part of TakeSnapshot that reads the process's
// memory cgroup (found on the first call): a ReadAt of each kept-open file.
func BenchmarkReadCgroup(b *testing.B) {
	if readCgroup() == nil {
		b.Skip("not in a memory cgroup")
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cgroupSink = readCgroup()
	}
}
