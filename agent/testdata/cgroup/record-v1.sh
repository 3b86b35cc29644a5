#!/bin/sh
# Records v1-hybrid/ from this machine (root; memory controller on cgroup v1):
# a cgroup with a 64 MiB limit whose child "inner" has none, one process in
# "inner" OOM-killed, another holding 20 MiB while the files are copied.
# The mountinfo line of the sandbox's own tool mount is left out.
set -u
OUT=${1:-$(dirname "$0")/v1-hybrid}
SELF=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
CG=/sys/fs/cgroup/memory$SELF/mw-rec-$$
mkdir "$CG" && echo $((64 << 20)) > "$CG/memory.limit_in_bytes" && mkdir "$CG/inner" || exit 1
trap 'rmdir "$CG/inner" "$CG"' EXIT
sh -c "echo \$\$ > $CG/inner/cgroup.procs; exec python3 -c \"a=[]
while True: a.append(b'x'*(8<<20))\""
echo "allocating process ended with status $? (137 = SIGKILL)"
sh -c "echo \$\$ > $CG/inner/cgroup.procs; exec python3 -c \"a=b'y'*(20<<20)
import time; time.sleep(30)\"" &
sleep 1
P=$(cat "$CG/inner/cgroup.procs")
rm -rf "$OUT" && mkdir -p "$OUT/proc/self" "$OUT/sys/fs/cgroup/unified"
cp "/proc/$P/cgroup" "$OUT/proc/self/cgroup"
grep -v sandboxing "/proc/$P/mountinfo" > "$OUT/proc/self/mountinfo"
cp /sys/fs/cgroup/unified/cgroup.controllers "$OUT/sys/fs/cgroup/unified/"
dir=""
for part in $(echo "$SELF/mw-rec-$$/inner" | tr / ' ') ""; do
	mkdir -p "$OUT/sys/fs/cgroup/memory$dir"
	cat "/sys/fs/cgroup/memory$dir/memory.limit_in_bytes" > "$OUT/sys/fs/cgroup/memory$dir/memory.limit_in_bytes"
	[ -n "$part" ] && dir="$dir/$part"
done
for f in memory.usage_in_bytes memory.max_usage_in_bytes memory.oom_control memory.stat; do
	cat "$CG/inner/$f" > "$OUT/sys/fs/cgroup/memory$SELF/mw-rec-$$/inner/$f"
done
kill "$P"; wait "$P" 2>/dev/null
