module github.com/memorywatch/memory-watch/agent

go 1.22
