module memorywatch.bench/costtarget

go 1.22

// The companion agent from this repository (see agent/README.md).
replace github.com/memorywatch/memory-watch/agent => ../../../agent

require github.com/memorywatch/memory-watch/agent v0.0.0-00010101000000-000000000000
