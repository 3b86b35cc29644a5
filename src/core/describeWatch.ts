/** The one mapping from a Watch to what the graph, the sidebar view and the API show about it. */
import { describeHeadroom } from './cgroup/headroom';
import { adviseCached, diagnoseCached, HEAP_REASONS, withHeapFinding } from './diagnosis';
import { describeGoStatus } from './goruntime/describe';
import { Watch } from './watch';
import { WatchSummary } from '../shared/watchSummary';

export function describeWatch(watch: Watch): WatchSummary {
  const latest = watch.latest;
  const running = watch.state === 'running';
  const found = running ? diagnoseCached(watch.series) : undefined;
  const diagnosis = found && withHeapFinding(found, watch.heapFinding);
  const advice = running ? adviseCached(watch.series) : [];
  const cgroup = watch.cgroup;
  const headroom = cgroup ? describeHeadroom(cgroup) : undefined;
  return {
    id: watch.id,
    pid: watch.pid,
    name: watch.info.name,
    commandLine: watch.info.commandLine,
    state: watch.state,
    paused: watch.paused,
    endReason: watch.endReason,
    endLabel: watch.endLabel,
    go: watch.info.go ? (watch.info.go.version ?? 'Go') : undefined,
    latest: latest ? { time: latest.time, rss: latest.rss, vsz: latest.vsz, peakRss: watch.peakRss } : undefined,
    intervalMs: watch.intervalMs,
    failure: watch.lastFailure?.message,
    goFigures: watch.remoteSource ? { state: 'found', text: `Go figures: ${watch.remoteSource.description}` } : describeGoStatus(watch.goRuntime?.status, watch.paused),
    diagnosis: diagnosis ? { kind: diagnosis.kind, message: diagnosis.message, heapProfile: HEAP_REASONS.has(diagnosis.kind) } : undefined,
    advice: advice.length ? advice : undefined,
    url: watch.target.kind === 'url' ? watch.target.url : undefined,
    container: cgroup && cgroup.limit !== undefined && headroom ? { limit: cgroup.limit, workingSet: cgroup.workingSet, usage: cgroup.usage, headroom, oomKills: cgroup.oomKills } : undefined,
  };
}
