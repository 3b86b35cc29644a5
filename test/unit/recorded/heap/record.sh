#!/bin/sh
# Re-records the heap profiles the unit tests read, from the leaker fixture (MemProfileRate=1),
# and what `go tool pprof` says about them: leak1000 (1000 records leaked, 2000 × 64 KiB churned),
# leak1500 (500 more), spread14 (then 2^14 distinct stacks, recursive). Run from the repository root: sh test/unit/recorded/heap/record.sh
set -eu
dir=test/unit/recorded/heap
bin=$(mktemp -d)/leaker
(cd test/fixtures && go build -o "$bin" ./leaker)
"$bin" > "$bin.out" 2>&1 &
pid=$!
trap 'kill $pid' EXIT
sleep 1
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$bin.out")
curl -sf "http://127.0.0.1:$port/leak?n=1000" > /dev/null
curl -sf "http://127.0.0.1:$port/churn?n=2000&size=65536" > /dev/null
curl -sf -o "$dir/leak1000.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap?gc=1"
curl -sf "http://127.0.0.1:$port/leak?n=500" > /dev/null
curl -sf -o "$dir/leak1500.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap?gc=1"
curl -sf "http://127.0.0.1:$port/spread?bits=14" > /dev/null
curl -sf -o "$dir/spread14.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap?gc=1"
for p in leak1000 leak1500 spread14; do
  go tool pprof -top "$dir/$p.pb.gz" > "$dir/$p.top.txt"
  go tool pprof -top -cum "$dir/$p.pb.gz" > "$dir/$p.top-cum.txt"
  go tool pprof -top -lines "$dir/$p.pb.gz" > "$dir/$p.top-lines.txt"
  go tool pprof -sample_index=alloc_space -top "$dir/$p.pb.gz" > "$dir/$p.top-alloc.txt"
done
go tool pprof -top -lines -diff_base="$dir/leak1000.pb.gz" "$dir/leak1500.pb.gz" > "$dir/diff.top-lines.txt"
go version > "$dir/go-version.txt"
