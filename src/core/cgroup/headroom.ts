/** How close a cgroup is to its limit, in one line for a tooltip or a diagnosis. */
import { formatBytes } from '../../shared/format';
import type { CgroupFigures } from './reader';

/**
 * "working set 412.0 MiB of 512.0 MiB limit, 80 %" — the working set, since that is what the kubelet
 * evicts on and what the OOM killer is left with once the kernel has reclaimed inactive page cache.
 * Undefined when no cgroup up to the root has a limit.
 */
export function describeHeadroom(f: CgroupFigures): string | undefined {
  if (f.limit === undefined) return undefined;
  // A zero limit (v2 allows writing 0) has no meaningful share.
  const share = f.limit > 0 ? `, ${Math.round((f.workingSet / f.limit) * 100)} %` : '';
  return `working set ${formatBytes(f.workingSet)} of ${formatBytes(f.limit)} limit${share}`;
}
