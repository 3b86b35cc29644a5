/**
 * The core of two builds side by side in one run: this checkout against a baseline commit
 * (MEMORY_WATCH_BASELINE, a git ref; default: the commit before this session's cost work), each
 * watching real Go programs (bench/cost/target) as the extension does — a WatchRegistry with the
 * Go-figures tracker — in this one Node process, cases and builds interleaved round by round. CPU
 * of the whole process (every thread's schedstat) per sample; the ratio new ÷ baseline is the figure.
 *
 *   MEMORY_WATCH_BASELINE=<ref> npm run bench compare
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { saveResult } from '../benchUtil';
import { loadFromBuild, withBaselineBuild } from './baselineBuild';
import { fmt, med, sleep, spread } from './common';
import { buildTarget, Target, TargetSource } from './target';

const DEFAULT_BASELINE = '5f65bdc';
const WINDOW_S = 10;
const ROUNDS = 3;

interface Case {
  readonly name: string;
  readonly source: TargetSource;
  readonly watches: number;
  readonly intervalMs: number;
}

const CASES: readonly Case[] = [
  { name: '1 watch, 10 Hz, OS figures only', source: 'none', watches: 1, intervalMs: 100 },
  { name: '1 watch, 10 Hz, Go figures (expvar)', source: 'expvar', watches: 1, intervalMs: 100 },
  { name: '1 watch, 10 Hz, Go figures (agent)', source: 'agent', watches: 1, intervalMs: 100 },
  { name: '20 watches, 1 Hz, Go figures (expvar)', source: 'expvar', watches: 20, intervalMs: 1000 },
];

/** What a build's core exposes to the bench (the same two classes in every version compared). */
interface Core {
  readonly WatchRegistry: typeof import('../../src/core/watchRegistry').WatchRegistry;
  readonly GoRuntimeTracker: typeof import('../../src/core/goruntime/tracker').GoRuntimeTracker;
}

function loadCore(outDir: string): Core {
  return {
    WatchRegistry: loadFromBuild<typeof import('../../src/core/watchRegistry')>(outDir, 'src/core/watchRegistry').WatchRegistry,
    GoRuntimeTracker: loadFromBuild<typeof import('../../src/core/goruntime/tracker')>(outDir, 'src/core/goruntime/tracker').GoRuntimeTracker,
  };
}

function cpuMicroseconds(): number {
  let ns = 0;
  for (const task of fs.readdirSync('/proc/self/task')) ns += Number(fs.readFileSync(`/proc/self/task/${task}/schedstat`, 'utf8').split(' ')[0]) || 0;
  return ns / 1e3;
}

async function measure(core: Core, c: Case, bin: string, work: string): Promise<number> {
  const targets: Target[] = [];
  const registry = new core.WatchRegistry({ intervalMs: c.intervalMs, windowMs: 300_000 }, (pid) => new core.GoRuntimeTracker(pid, () => ({ enabled: c.source !== 'none', overrideUrl: '', allowedHosts: [] }), () => undefined));
  let samples = 0;
  registry.onDidSample(() => samples++);
  try {
    for (let i = 0; i < c.watches; i++) targets.push(await Target.start(bin, c.source, path.join(work, `t${i}-${Date.now()}.pid`)));
    for (const t of targets) await registry.attach(t.pid);
    // Settle: Go figures found, the first reads done.
    await sleep(4000);
    const cpu0 = cpuMicroseconds();
    const n0 = samples;
    await sleep(WINDOW_S * 1000);
    return (cpuMicroseconds() - cpu0) / (samples - n0);
  } finally {
    registry.dispose();
    for (const t of targets) await t.stop();
  }
}

export async function runCompareBuildsBench(): Promise<string> {
  const ref = process.env.MEMORY_WATCH_BASELINE || DEFAULT_BASELINE;
  const results: Record<string, { baseline: number[]; current: number[] }> = {};
  const { commit, head } = await withBaselineBuild(ref, async ({ baselineOut, currentOut, commit, head, work }) => {
    const builds = { baseline: loadCore(baselineOut), current: loadCore(currentOut) };
    const bin = await buildTarget();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const order: ('baseline' | 'current')[] = round % 2 ? ['current', 'baseline'] : ['baseline', 'current'];
        for (const which of order) {
          const us = await measure(builds[which], c, bin, work);
          (results[c.name] ??= { baseline: [], current: [] })[which].push(us);
          console.log(`  compare round ${round + 1}/${ROUNDS} ${c.name} ${which}: ${fmt(us, 0)} µs per sample`);
        }
      }
    }
    return { commit, head };
  });
  saveResult('compare-builds', { baseline: commit, current: head, windowS: WINDOW_S, rounds: ROUNDS, results });
  const rows = CASES.map((c) => {
    const r = results[c.name];
    return `| ${c.name} | ${fmt(med(r.baseline), 0)} (${spread(r.baseline, 0)}) | ${fmt(med(r.current), 0)} (${spread(r.current, 0)}) | **${fmt(med(r.current) / med(r.baseline), 2)}** |`;
  });
  return [
    '## Two builds side by side: the core, in plain Node',
    '',
    `This checkout (${head}) against ${commit} (\`MEMORY_WATCH_BASELINE\`), in one Node process on ${os.cpus().length} × ${os.cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, Node ${process.version}: each build's WatchRegistry and Go-figures tracker watching real Go programs (bench/cost/target), ${ROUNDS} rounds, cases and builds interleaved (the order flips each round), ${WINDOW_S} s windows after 4 s of settling.`,
    'CPU of the whole process (every thread, /proc/self/task/<tid>/schedstat) per sample, the idle floor included (an empty 10 Hz timer costs ≈ 200 µs a tick here). Median (range).',
    '',
    '| case | baseline, µs per sample | this checkout | ratio |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
