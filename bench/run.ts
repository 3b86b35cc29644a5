/**
 * `npm run bench [name…]`: runs the benchmarks (all but the 30-minute soak by default) and
 * rewrites bench/RESULTS.md. Each benchmark's Markdown section is kept in bench/results/<name>.md,
 * so running one (`npm run bench chart`) refreshes its section and keeps the others' last figures.
 * A section says when, and on which commit, it was recorded (a measured figure lives once, here,
 * with its date and commit); sections kept by hand (earlier runs, figures measured once) follow.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runAgentBench } from './agent.bench';
import { runChartBench } from './chart.bench';
import { runCompareBuildsBench } from './cost/compareBuilds.bench';
import { runCostBench } from './cost/costOfWatching.bench';
import { runDiagnosisBench } from './cost/diagnosis.bench';
import { runFollowLookBench } from './cost/followLook.bench';
import { runGraphBench } from './cost/graphFill';
import { runLiveChartBench } from './cost/liveChart.bench';
import { runSoak } from './cost/soak';
import { runHostPerSampleBench } from './cost/hostPerSample.bench';
import { runHeapProfileBench } from './heapProfile.bench';
import { runHistoryBench } from './history.bench';
import { runSamplerBench } from './sampler.bench';

const BENCH_DIR = path.resolve(__dirname, '..', '..', 'bench');

/** In the order RESULTS.md shows them. `byDefault: false`: only when named. */
const BENCHMARKS: { name: string; byDefault: boolean; run: () => Promise<string> | string }[] = [
  { name: 'cost', byDefault: true, run: () => runCostBench() },
  { name: 'graph', byDefault: true, run: () => runGraphBench() },
  { name: 'host', byDefault: true, run: () => runHostPerSampleBench() },
  { name: 'compare', byDefault: false, run: () => runCompareBuildsBench() },
  { name: 'follow', byDefault: true, run: () => runFollowLookBench() },
  { name: 'diagnosis', byDefault: true, run: () => runDiagnosisBench() },
  { name: 'live-chart', byDefault: true, run: () => runLiveChartBench() },
  { name: 'soak', byDefault: false, run: () => runSoak() },
  { name: 'sampler', byDefault: true, run: () => runSamplerBench() },
  { name: 'chart', byDefault: true, run: () => runChartBench() },
  { name: 'agent', byDefault: true, run: () => runAgentBench() },
  { name: 'heap', byDefault: true, run: () => runHeapProfileBench() },
  { name: 'history', byDefault: true, run: () => runHistoryBench() },
];

/** Sections no benchmark writes (bench/results/<name>.md, kept by hand), after the others. */
const KEPT_BY_HAND = ['earlier-runs', 'measured-once'];

/** "Recorded 2026-12-07 on commit 1a2b3c4" (and "with uncommitted changes" when the tree had them). */
function provenance(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', '../src', '../bench', '../sampler', '../agent') !== '';
  return `Recorded ${new Date().toISOString().slice(0, 10)} on commit ${commit}${dirty ? ' with uncommitted changes' : ''}.`;
}

/** A section's own "Recorded … on commit …" line, else its file's last commit (sections written before they said so). */
function recordedOf(name: string): string {
  const text = fs.readFileSync(sectionFile(name), 'utf8');
  const own = /^Recorded (\d{4}-\d{2}-\d{2}) on commit (\w+)/m.exec(text);
  if (own) return `${own[2]} | ${own[1]}`;
  const [commit, date] = execFileSync('git', ['log', '-1', '--format=%h %cs', '--', sectionFile(name)], { cwd: BENCH_DIR, encoding: 'utf8' }).trim().split(' ');
  return `${commit ?? '—'} | ${date ?? '—'}`;
}

async function main(): Promise<void> {
  // --write: only rewrite RESULTS.md from the sections there are (after a section was edited by hand).
  const writeOnly = process.argv.includes('--write');
  const named = process.argv.slice(2).filter((a) => a !== '--write');
  const unknown = named.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  for (const bench of BENCHMARKS) {
    if (writeOnly || (named.length ? !named.includes(bench.name) : !bench.byDefault)) continue;
    console.log(`=== ${bench.name} ===`);
    const recorded = provenance();
    const section = (await bench.run()).trimEnd();
    // The recorded line goes right under the section's heading.
    const [heading, ...rest] = section.split('\n');
    fs.writeFileSync(sectionFile(bench.name), `${[heading, '', recorded, ...rest].join('\n')}\n`);
  }
  const written = BENCHMARKS.filter((b) => fs.existsSync(sectionFile(b.name)));
  const headingOf = (name: string) => fs.readFileSync(sectionFile(name), 'utf8').split('\n')[0].replace(/^#+\s*/, '');
  const table = ['| section | `npm run bench` name | recorded on commit | date |', '|---|---|---|---|', ...written.map((b) => `| ${headingOf(b.name)} | \`${b.name}\` | ${recordedOf(b.name)} |`)];
  const sections = [...written.map((b) => b.name), ...KEPT_BY_HAND.filter((name) => fs.existsSync(sectionFile(name)))].map((name) => fs.readFileSync(sectionFile(name), 'utf8').trimEnd());
  const text = [
    '# Benchmark results',
    '',
    'Written by `npm run bench`: each section says when, and on which commit, it was recorded (the table below).',
    'Machines here are shared and noisy, so every benchmark compares alternatives side by side',
    'in one run: read the ratios, not the absolute times. Raw figures: `bench/results/*.json`; each',
    'section also in `bench/results/<name>.md`. `npm run bench soak` runs the 30-minute soak.',
    '',
    'When each section was recorded, and on which commit:',
    '',
    ...table,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  fs.writeFileSync(path.join(BENCH_DIR, 'RESULTS.md'), text);
  console.log(text);
}

function sectionFile(name: string): string {
  return path.join(BENCH_DIR, 'results', `${name}.md`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
