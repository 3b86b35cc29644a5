module github.com/memorywatch/memory-watch/sampler

go 1.22
