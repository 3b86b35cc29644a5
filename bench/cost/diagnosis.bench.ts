/**
 * What the diagnosis costs: the status bar asks for the current watch's once a second, and the
 * graph, while open, for every watch's (each watch's summary carries it). Each looks across the
 * whole window for a leak. This build's diagnose() against a baseline build's (a git ref,
 * MEMORY_WATCH_BASELINE; default: the commit before the allocation-free leak detectors), each on
 * its own TimeSeries holding the same points, rounds interleaved, in one process.
 *
 *   MEMORY_WATCH_BASELINE=<ref> npm run bench diagnosis
 */
import { saveResult } from '../benchUtil';
import { loadFromBuild, withBaselineBuild } from './baselineBuild';
import { fmt, med, spread } from './common';

const DEFAULT_BASELINE = 'e121338';
const ROUNDS = 7;
/** Calls per timing: enough for the clock, few enough that a round stays short. */
const CALLS = 200;

interface Build {
  readonly TimeSeries: typeof import('../../src/shared/series').TimeSeries;
  readonly diagnose: typeof import('../../src/core/diagnosis').diagnose;
}

function loadBuild(outDir: string): Build {
  return {
    TimeSeries: loadFromBuild<typeof import('../../src/shared/series')>(outDir, ['src/shared/series', 'src/core/series']).TimeSeries,
    diagnose: loadFromBuild<typeof import('../../src/core/diagnosis')>(outDir, 'src/core/diagnosis').diagnose,
  };
}

interface Case {
  readonly name: string;
  readonly points: number;
  readonly intervalMs: number;
  /** One point in this many carries Go figures (they are read once a second). */
  readonly goEvery: number;
}

const CASES: readonly Case[] = [
  { name: '5 min at 1 Hz (the defaults)', points: 300, intervalMs: 1000, goEvery: 1 },
  { name: '5 min at 10 Hz', points: 3000, intervalMs: 100, goEvery: 10 },
  { name: '5.5 h at 1 Hz (the buffer full: 20,000 points)', points: 20_000, intervalMs: 1000, goEvery: 1 },
];

/** A steady Go service (no leak, so both leak detectors look through everything): the worst case. */
function fill(build: Build, c: Case): InstanceType<Build['TimeSeries']> {
  const s = new build.TimeSeries(c.points * c.intervalMs * 2, 20_000);
  for (let i = 0; i < c.points; i++) {
    const go = i % c.goEvery === 0;
    const wobble = (i * 7919) % 97;
    s.push(1_700_000_000_000 + i * c.intervalMs, {
      rss: 120e6 + wobble * 1e5,
      vsz: 1.2e9,
      ...(go ? { heapLive: 40e6 + wobble * 2e5, heapObjects: 60e6, heapFree: 8e6, goTotal: 100e6, gcCycles: Math.floor(i / 30), goroutines: 40 + (wobble % 9), stacks: 1e6 } : {}),
    });
  }
  return s;
}

/** µs per diagnose() call over CALLS calls. */
function time(build: Build, s: InstanceType<Build['TimeSeries']>): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) build.diagnose(s);
  return Number(process.hrtime.bigint() - started) / 1e3 / CALLS;
}

export async function runDiagnosisBench(): Promise<string> {
  const ref = process.env.MEMORY_WATCH_BASELINE || DEFAULT_BASELINE;
  const results: Record<string, { baseline: number[]; current: number[] }> = {};
  const { commit, head } = await withBaselineBuild(ref, ({ baselineOut, currentOut, commit, head }) => {
    const builds = { baseline: loadBuild(baselineOut), current: loadBuild(currentOut) };
    const series = CASES.map((c) => ({ baseline: fill(builds.baseline, c), current: fill(builds.current, c) }));
    // Warm both (the JIT), unrecorded.
    for (const s of series) for (const which of ['baseline', 'current'] as const) time(builds[which], s[which]);
    for (let round = 0; round < ROUNDS; round++) {
      CASES.forEach((c, i) => {
        const order: ('baseline' | 'current')[] = round % 2 ? ['current', 'baseline'] : ['baseline', 'current'];
        for (const which of order) (results[c.name] ??= { baseline: [], current: [] })[which].push(time(builds[which], series[i][which]));
      });
    }
    return { commit, head };
  });
  const machine = saveResult('diagnosis', { baseline: commit, current: head, rounds: ROUNDS, calls: CALLS, results });
  const rows = CASES.map((c) => {
    const r = results[c.name];
    const ratio = med(r.current) / med(r.baseline);
    return `| ${c.name} | ${c.points.toLocaleString('en')} | ${fmt(med(r.baseline), 0)} (${spread(r.baseline, 0)}) | ${fmt(med(r.current), 0)} (${spread(r.current, 0)}) | **${fmt(ratio, 2)}** |`;
  });
  return [
    '## The diagnosis: a look across the window, once a second per watch',
    '',
    `Machine: ${machine}. This checkout (${head}) against ${commit} (\`MEMORY_WATCH_BASELINE\`), each build's diagnose() on its own TimeSeries with the same points: a steady Go service (no leak, so both leak detectors look through everything), Go figures once a second. ${ROUNDS} rounds of ${CALLS} calls per case and build, interleaved (the order flips each round), after one unrecorded round. Median (range) µs per call.`,
    'The status bar asks for the current watch\'s diagnosis once a second; the open graph for every watch\'s (its summary carries it): twenty watches with the graph open ask twenty times a second.',
    '',
    '| window | points | baseline, µs | this checkout, µs | ratio |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  runDiagnosisBench()
    .then((text) => console.log(text))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
