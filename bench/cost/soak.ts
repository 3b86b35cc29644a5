/**
 * Soak: the extension host's side of Memory Watch in plain Node, for a long time — does its heap
 * stay flat? A WatchRegistry wired as src/extension.ts wires it (a GoRuntimeTracker per watch),
 * 5 watches at 10 Hz on real Go programs with Go figures (bench/cost/target, expvar and the
 * agent in turn), 3 of them killed and restarted every minute and the new process attached (as a
 * PID file would); per sample the two messages GraphFeed posts are built and serialised. Every
 * 30 s: a forced GC, then process.memoryUsage().
 *
 *   node out/bench/cost/soak.js --minutes 30        (re-runs itself with --expose-gc if needed)
 */
import { spawnSync } from 'child_process';
import { describeWatch } from '../../src/core/describeWatch';
import { GoRuntimeTracker } from '../../src/core/goruntime/tracker';
import { seriesRow } from '../../src/core/watchSample';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { formatBytes } from '../../src/shared/format';
import { saveResult } from '../benchUtil';
import { fmt, med, numericFlags, sleep } from './common';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildTarget, Target, TargetSource } from './target';

export interface SoakOptions {
  readonly minutes: number;
  readonly watches: number;
  /** How many of the watched programs are killed and restarted every minute. */
  readonly restarted: number;
  readonly hz: number;
  /** Seconds between heap readings (each after a forced GC). */
  readonly gcEverySeconds: number;
}

export const SOAK_DEFAULTS: SoakOptions = { minutes: 30, watches: 5, restarted: 3, hz: 10, gcEverySeconds: 30 };

interface HeapReading {
  readonly minute: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
  readonly watches: number;
  readonly samples: number;
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

export async function runSoak(options: Partial<SoakOptions> = {}): Promise<string> {
  const o: SoakOptions = { ...SOAK_DEFAULTS, ...options };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the soak needs a forced GC: run node with --expose-gc');
  const bin = await buildTarget();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-soak-'));
  const sourceOf = (i: number): TargetSource => (i % 2 === 0 ? 'expvar' : 'agent');
  let started = 0;
  const startTarget = (i: number) => Target.start(bin, sourceOf(i), path.join(work, `target-${i}-${started++}.pid`));
  const log: string[] = [];
  const registry = new WatchRegistry({ intervalMs: 1000 / o.hz, windowMs: 300_000 }, (pid) => new GoRuntimeTracker(pid, () => ({ enabled: true, overrideUrl: '', allowedHosts: [] }), (message) => log.length < 1000 && log.push(message)));
  let samples = 0;
  let serialisedBytes = 0;
  // What GraphFeed posts per sample of the shown watch: the row, then the list of watches.
  registry.onDidSample(({ watch, sample }) => {
    samples++;
    if (watch.id !== registry.current?.id) return;
    serialisedBytes += JSON.stringify({ type: 'sample', watchId: watch.id, time: sample.time, values: seriesRow(sample) }).length;
    serialisedBytes += JSON.stringify({ type: 'watches', watches: registry.list().map(describeWatch), currentId: registry.current?.id }).length;
  });
  const targets: Target[] = [];
  const readings: HeapReading[] = [];
  let restarts = 0;
  const t0 = Date.now();
  const minute = () => (Date.now() - t0) / 60_000;
  try {
    for (let i = 0; i < o.watches; i++) {
      targets[i] = await startTarget(i);
      await registry.attach(targets[i].pid);
    }
    const read = () => {
      gc();
      const m = process.memoryUsage();
      readings.push({ minute: minute(), heapUsed: m.heapUsed, rss: m.rss, external: m.external, watches: registry.list().length, samples });
      console.log(`  soak ${fmt(minute(), 1)} min: heap ${formatBytes(m.heapUsed)}, rss ${formatBytes(m.rss)}, ${registry.list().length} watches kept, ${samples} samples`);
    };
    read();
    let nextRead = Date.now() + o.gcEverySeconds * 1000;
    let nextRestart = Date.now() + 60_000;
    const end = t0 + o.minutes * 60_000;
    while (Date.now() < end) {
      await sleep(Math.max(0, Math.min(nextRead, nextRestart, end) - Date.now()));
      if (Date.now() >= nextRestart && Date.now() < end) {
        nextRestart += 60_000;
        for (let i = 0; i < Math.min(o.restarted, o.watches); i++) {
          // The old watch sees its process exit and ends (kept for its data, within the registry's bound).
          await targets[i].stop();
          targets[i] = await startTarget(i);
          await registry.attach(targets[i].pid);
          restarts++;
        }
      }
      if (Date.now() >= nextRead) {
        nextRead += o.gcEverySeconds * 1000;
        read();
      }
    }
    read();
  } finally {
    registry.dispose();
    await Promise.all(targets.map((t) => t?.stop()));
    fs.rmSync(work, { recursive: true, force: true });
  }

  // The registry keeps ended watches (with their data) up to a bound: the heap grows until it holds
  // as many as it ever will. Flat is judged from there: the first and last spans (5 minutes each,
  // or a third of a shorter steady part) and the slope.
  const most = Math.max(...readings.map((r) => r.watches));
  const steady = readings.slice(readings.findIndex((r) => r.watches === most));
  const steadyMinutes = steady.length ? steady[steady.length - 1].minute - steady[0].minute : 0;
  const span = Math.min(5, steadyMinutes / 3);
  const first = med(steady.filter((r) => r.minute <= steady[0].minute + span).map((r) => r.heapUsed));
  const last = med(steady.filter((r) => r.minute >= steady[steady.length - 1].minute - span).map((r) => r.heapUsed));
  const perMinute = slope(steady.map((r) => ({ x: r.minute, y: r.heapUsed })));
  const growth = last - first;
  const judged = steady.length >= 4;
  const bound = Math.max(1024 * 1024, 0.05 * first);
  const flat = judged && growth < bound && perMinute * 60 < bound;
  const foundGo = log.filter((l) => l.startsWith('Go figures for PID')).length;
  const problems = log.filter((l) => !l.startsWith('Go figures for PID'));
  const expectedSamples = o.minutes * 60 * o.hz * o.watches;
  const machine = saveResult('soak', { options: o, readings, first, last, perMinute, restarts, samples, expectedSamples, serialisedBytes, log: log.slice(0, 50) });
  return [
    '## Soak: the extension host\'s heap over time (plain Node)',
    '',
    `Machine: ${machine}. ${o.minutes} min; ${o.watches} watches at ${o.hz} Hz on bench/cost/target (expvar and the agent in turn, Go figures on), ${Math.min(o.restarted, o.watches)} of them killed and restarted every minute and the new process attached (${restarts} restarts); a WatchRegistry with a GoRuntimeTracker per watch as src/extension.ts wires it, and per sample of the current watch the \`sample\` and \`watches\` messages GraphFeed posts, serialised (${formatBytes(serialisedBytes)} in all).`,
    `Heap read with process.memoryUsage() after a forced GC (--expose-gc) every ${o.gcEverySeconds} s. ${samples.toLocaleString('en')} samples taken (${fmt((100 * samples) / expectedSamples, 0)} % of ${o.watches} × ${o.hz} Hz); Go figures found ${foundGo} times (one per watch started); other log lines: ${problems.length ? problems.slice(0, 3).join(' | ') : 'none'}.`,
    '',
    '| minute | heapUsed | rss | external | watches kept |',
    '|---:|---:|---:|---:|---:|',
    ...readings.map((r) => `| ${fmt(r.minute, 1)} | ${formatBytes(r.heapUsed)} | ${formatBytes(r.rss)} | ${formatBytes(r.external)} | ${r.watches} |`),
    '',
    `The registry holds at most ${most} watches (${o.watches} running, the rest ended and kept for their graph), from minute ${fmt(steady[0]?.minute ?? NaN, 1)} on: the heap is judged from there (${steady.length} readings).`,
    judged
      ? `Median heap, first ${fmt(span, 1)} min of that: ${formatBytes(first)}; last ${fmt(span, 1)} min: ${formatBytes(last)} (${growth >= 0 ? '+' : '−'}${formatBytes(Math.abs(growth))}). Slope: ${perMinute >= 0 ? '+' : '−'}${formatBytes(Math.abs(perMinute))} per minute.`
      : 'Too short to judge: fewer than 4 readings once the registry is full (run 10 minutes or more).',
    `**Heap ${!judged ? 'not judged' : flat ? 'flat' : 'NOT flat'}** (flat: the last span within max(1 MiB, 5 %) of the first, and the slope under that much per hour). The count of watches kept wobbles as killed programs are noticed at their watch's next sample.`,
  ].join('\n');
}

if (require.main === module) {
  if (!(globalThis as { gc?: unknown }).gc) {
    // The forced GC needs --expose-gc: run again with it.
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const d = SOAK_DEFAULTS;
  const flags = numericFlags(process.argv.slice(2), { minutes: d.minutes, watches: d.watches, restarted: d.restarted, hz: d.hz, gcEvery: d.gcEverySeconds });
  runSoak({ minutes: flags.minutes, watches: flags.watches, restarted: flags.restarted, hz: flags.hz, gcEverySeconds: flags.gcEvery })
    .then((text) => console.log(`\n${text}`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
