#!/bin/sh
# Re-records the /metrics pages the unit tests read, from the prometheus fixture
# (test/fixtures/sources/prometheus: client_golang's promhttp). Each page NAME.txt comes with
# NAME.content-type (the answer's Content-Type) and NAME.truth.json (the program's own
# runtime/metrics, read just before and just after the gather that made the page).
# Run from the repository root: sh test/unit/recorded/prometheus/record.sh
set -eu
dir=test/unit/recorded/prometheus
bin=$(mktemp -d)/prometheus
(cd test/fixtures && go build -o "$bin" ./sources/prometheus)
# What Memory Watch asks with (PROMETHEUS_ACCEPT in src/core/goruntime/prometheusText.ts).
text='text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1'

# record NAME ACCEPT [ENV=VALUE…] -- FLAGS…
record() {
  name=$1 accept=$2
  shift 2
  envs=
  while [ "$1" != -- ]; do envs="$envs $1"; shift; done
  shift
  env $envs "$bin" -spike 16 "$@" > "$bin.out" 2>&1 &
  pid=$!
  sleep 1
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$bin.out")
  curl -sf -D "$bin.headers" -H "Accept: $accept" -o "$dir/$name.txt" "http://127.0.0.1:$port/metrics"
  sed -n 's/^[Cc]ontent-[Tt]ype: *\(.*\)\r$/\1/p' "$bin.headers" > "$dir/$name.content-type"
  curl -sf -o "$dir/$name.truth.json" "http://127.0.0.1:$port/truth"
  kill $pid
  wait $pid 2> /dev/null || true
}

# promhttp.Handler()'s default registry: the MemStats-like families, the process collector.
record default-text "$text" -- -registry default -own 0.03
# A custom registry with the runtime/metrics memory and GC classes.
record runtime-text "$text" -- -registry custom -own 0.03
# The same in OpenMetrics, names allowed in UTF-8 (quoted inside the braces), an exemplar, # UNIT, # EOF.
record runtime-openmetrics 'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8' -- -registry custom -own 0.03 -openmetrics
# The default registry in OpenMetrics, as Prometheus itself asks (its default scrape Accept).
record default-openmetrics 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' -- -registry default -own 0.01 -openmetrics
# Two registries merged: every Go and process family twice.
record two-registries "$text" -- -registry two
# The collector off (GOGC=off: -1) under a memory limit.
record gogc-off-limit "$text" GOGC=off GOMEMLIMIT=512MiB -- -registry custom
go version > "$dir/go-version.txt"
