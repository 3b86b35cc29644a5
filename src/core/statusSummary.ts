/**
 * What the status bar item says about the current watch: a short text, a tooltip, and whether to
 * warn. Pure, so the wording is unit-tested and the shell only copies it into a StatusBarItem.
 */
import { diagnoseCached } from './diagnosis';
import { formatBytes, formatDuration } from './format';
import { describeGoStatus } from './goruntime/describe';
import { escapeIcons, escapeMarkdown } from './text';
import { Watch } from './watch';

export interface StatusSummary {
  readonly text: string;
  /** Markdown lines (the shell joins them into a MarkdownString). */
  readonly tooltip: string[];
  readonly warning: boolean;
}

export function summarizeForStatusBar(watch: Watch, now: number, warningBytes: number, otherWatches: number): StatusSummary {
  const latest = watch.latest;
  const title = `**${escapeMarkdown(watch.info.name)}** — PID ${watch.pid}${watch.info.go?.version ? ` · ${escapeMarkdown(watch.info.go.version)}` : watch.info.go ? ' · Go' : ''}`;
  const lines = [title];
  if (latest) {
    lines.push(`RSS **${formatBytes(latest.rss)}** · peak ${formatBytes(watch.peakRss)}`);
    lines.push(`VSZ ${latest.vsz === undefined ? 'not available on this OS' : formatBytes(latest.vsz)}`);
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
    const diagnosis = diagnoseCached(watch.series);
    if (diagnosis) lines.splice(1, 0, `**${escapeMarkdown(diagnosis.message)}**`);
    if (!latest?.go) lines.push(escapeMarkdown(describeGoStatus(watch.goRuntime?.status, watch.paused).text));
  }
  if (watch.state === 'running' && watch.paused) lines.push('Stopped in the debugger: memory is read from the OS; no HTTP requests are sent to it');
  if (watch.state === 'running') {
    const age = latest ? `last sample ${formatDuration(now - latest.time)} ago` : 'no sample yet';
    lines.push(`${age}, every ${formatDuration(watch.interval)}`);
    if (watch.lastFailure) lines.push(`⚠ ${escapeMarkdown(watch.lastFailure.message)}`);
  } else {
    lines.push(escapeMarkdown(watch.endReason ?? `The watch has ${watch.state === 'exited' ? 'ended: the process exited' : 'ended'}.`));
  }
  if (otherWatches > 0) lines.push(`${otherWatches} other process${otherWatches > 1 ? 'es' : ''} watched`);
  lines.push('Click to show the memory graph');

  // The process name is the target's own: it must not draw icons (`$(…)`) in the status bar.
  const text = watch.state === 'running' ? `$(pulse) RSS ${formatBytes(latest?.rss)}` : `$(pulse) ${escapeIcons(watch.info.name)} ${watch.endLabel ?? watch.state}`;
  const warning = watch.state === 'running' && warningBytes > 0 && latest !== undefined && latest.rss > warningBytes;
  if (warning) lines.splice(2, 0, `Above the warning threshold of ${formatBytes(warningBytes)}`);
  return { text, tooltip: lines, warning };
}
