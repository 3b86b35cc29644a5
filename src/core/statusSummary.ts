/**
 * What the status bar item says about the current watch: a short text, a tooltip, and whether to
 * warn. Pure, so the wording is unit-tested and the shell only copies it into a StatusBarItem.
 */
import { describeHeadroom } from './cgroup/headroom';
import { adviseCached, diagnoseCached, withHeapFinding } from './diagnosis';
import { formatBytes, formatDuration } from '../shared/format';
import { describeGoStatus } from './goruntime/describe';
import { escapeIcons, escapeMarkdown } from '../shared/text';
import { HELPER_BATCH_MS } from './sources/samplerHelper';
import type { Watch } from './watch';

export interface StatusSummary {
  readonly text: string;
  /** Markdown lines (the shell joins them into a MarkdownString). */
  readonly tooltip: string[];
  readonly warning: boolean;
}

/** When the status bar warns. */
export interface StatusWarnings {
  /** RSS above this many bytes (0 = off). */
  readonly rssBytes: number;
  /** The cgroup's working set at or above this share of its limit (0 = off). */
  readonly containerShare: number;
}

export function summarizeForStatusBar(watch: Watch, now: number, warnings: StatusWarnings, otherWatches: number): StatusSummary {
  const latest = watch.latest;
  const where = watch.target.kind === 'url' ? `PID ${watch.pid} behind ${escapeMarkdown(watch.target.url)}` : `PID ${watch.pid}`;
  const title = `**${escapeMarkdown(watch.info.name)}** — ${where}${watch.info.go?.version ? ` · ${escapeMarkdown(watch.info.go.version)}` : watch.info.go ? ' · Go' : ''}`;
  const lines = [title];
  const cgroup = watch.state === 'running' ? watch.cgroup : undefined;
  const headroom = cgroup ? describeHeadroom(cgroup) : undefined;
  const rssKnown = latest !== undefined && !Number.isNaN(latest.rss);
  if (latest) {
    if (rssKnown) lines.push(`RSS **${formatBytes(latest.rss)}** · peak ${formatBytes(watch.peakRss)}`);
    else lines.push('RSS: not known — only the Memory Watch agent reports it through a URL');
    if (headroom) lines.push(`Container: ${headroom}${cgroup!.oomKills ? ` · ${cgroup!.oomKills} OOM kill${cgroup!.oomKills > 1 ? 's' : ''} so far` : ''}`);
    if (rssKnown) lines.push(`VSZ ${latest.vsz === undefined ? 'not available here' : formatBytes(latest.vsz)}`);
    if (latest.cpu !== undefined) lines.push(`CPU ${latest.cpu.toFixed(0)} %`);
    const go = latest.go;
    if (go) {
      lines.push(
        `Go: heap in use ${formatBytes(go.heapObjects + go.heapUnused)} · free held ${formatBytes(go.heapFree)} · released ${formatBytes(go.heapReleased)} · ${go.gcCycles} GCs, goal ${formatBytes(go.gcGoal)}`,
      );
    }
    if (latest.rssAnon !== undefined || latest.swap) {
      const parts = [latest.rssAnon !== undefined && `anonymous ${formatBytes(latest.rssAnon)}`, latest.rssFile !== undefined && `file-backed ${formatBytes(latest.rssFile)}`, latest.swap ? `swap ${formatBytes(latest.swap)}` : ''];
      lines.push(`RSS: ${parts.filter(Boolean).join(' · ')}`);
    }
    if (latest.lazyFree) lines.push(`Lazily freed (MADV_FREE, still in RSS): ${formatBytes(latest.lazyFree)}`);
  }
  if (watch.state === 'running') {
    const found = diagnoseCached(watch.series);
    const diagnosis = found && withHeapFinding(found, watch.heapFinding);
    const advice = adviseCached(watch.series).map((a) => escapeMarkdown(a.message));
    lines.splice(1, 0, ...(diagnosis ? [`**${escapeMarkdown(diagnosis.message)}**`] : []), ...advice);
    if (!latest?.go && !watch.remoteSource) lines.push(escapeMarkdown(describeGoStatus(watch.goRuntime?.status, watch.paused).text));
  }
  if (watch.state === 'running' && watch.paused) lines.push('Stopped in the debugger: memory is read from the OS; no HTTP requests are sent to it');
  if (watch.state === 'running') {
    // The age only once samples are late: a tooltip that changes with every render is a message
    // to the workbench each second (the item re-renders as samples come), and "40 ms ago" tells
    // nothing. Late means past two intervals and a helper's batch (samples come once a second).
    const age = latest ? now - latest.time : undefined;
    const every = formatDuration(watch.intervalMs);
    if (age === undefined) lines.push(`no sample yet, every ${every}`);
    else if (age > 2 * watch.intervalMs + HELPER_BATCH_MS) lines.push(`last sample ${formatDuration(age)} ago, every ${every}`);
    else lines.push(`sampled every ${every}`);
    if (watch.lastFailure) lines.push(`⚠ ${escapeMarkdown(watch.lastFailure.message)}`);
  } else {
    lines.push(escapeMarkdown(watch.endReason ?? `The watch has ${watch.state === 'exited' ? 'ended: the process exited' : 'ended'}.`));
  }
  if (otherWatches > 0) lines.push(`${otherWatches} other process${otherWatches > 1 ? 'es' : ''} watched`);
  lines.push('Click to show the memory graph');

  // The process name is the target's own: it must not draw icons (`$(…)`) in the status bar.
  let text = `$(pulse) ${escapeIcons(watch.info.name)} ${watch.endLabel ?? watch.state}`;
  if (watch.state === 'running') {
    // Behind a URL without the agent there is no RSS: the runtime's own resident total stands in.
    const go = latest?.go;
    text = rssKnown || !go ? `$(pulse) RSS ${formatBytes(latest?.rss)}` : `$(pulse) Go ${formatBytes(Math.max(0, go.total - go.heapReleased))}`;
  }
  const overRss = watch.state === 'running' && warnings.rssBytes > 0 && rssKnown && latest!.rss > warnings.rssBytes;
  const nearLimit = cgroup?.limit !== undefined && warnings.containerShare > 0 && cgroup.workingSet >= warnings.containerShare * cgroup.limit;
  if (overRss) lines.splice(2, 0, `Above the warning threshold of ${formatBytes(warnings.rssBytes)}`);
  if (nearLimit) lines.splice(2, 0, `At or above ${Math.round(warnings.containerShare * 100)} % of the container limit (memoryWatch.containerLimitWarning)`);
  // High-contrast themes give the warning background no colour: the icon says it in every theme.
  if (overRss || nearLimit) text = text.replace('$(pulse)', '$(warning)');
  return { text, tooltip: lines, warning: overRss || nearLimit };
}
