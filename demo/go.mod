module memorywatch.demo

go 1.22
