//go:build !linux

package agent

// readCgroup returns nil: cgroups exist only on Linux.
func readCgroup() *Cgroup { return nil }
