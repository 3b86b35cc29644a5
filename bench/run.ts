/**
 * `npm run bench [name…]`: runs the benchmarks (all but the 30-minute soak by default) and
 * rewrites bench/RESULTS.md. Each benchmark's Markdown section is kept in bench/results/<name>.md,
 * so running one (`npm run bench chart`) refreshes its section and keeps the others' last figures.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runAgentBench } from './agent.bench';
import { runChartBench } from './chart.bench';
import { runCompareBuildsBench } from './cost/compareBuilds.bench';
import { runCostBench } from './cost/costOfWatching.bench';
import { runDiagnosisBench } from './cost/diagnosis.bench';
import { runFollowLookBench } from './cost/followLook.bench';
import { runLiveChartBench } from './cost/liveChart.bench';
import { runSoak } from './cost/soak';
import { runHostPerSampleBench } from './cost/hostPerSample.bench';
import { runHeapProfileBench } from './heapProfile.bench';
import { runSamplerBench } from './sampler.bench';

const BENCH_DIR = path.resolve(__dirname, '..', '..', 'bench');

/** In the order RESULTS.md shows them. `byDefault: false`: only when named. */
const BENCHMARKS: { name: string; byDefault: boolean; run: () => Promise<string> | string }[] = [
  { name: 'cost', byDefault: true, run: () => runCostBench() },
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
];

async function main(): Promise<void> {
  const named = process.argv.slice(2);
  const unknown = named.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  for (const bench of BENCHMARKS) {
    if (named.length ? !named.includes(bench.name) : !bench.byDefault) continue;
    console.log(`=== ${bench.name} ===`);
    const section = await bench.run();
    fs.writeFileSync(sectionFile(bench.name), `${section.trimEnd()}\n`);
  }
  const sections = BENCHMARKS.map((b) => sectionFile(b.name)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8').trimEnd());
  const text = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (last run ${new Date().toISOString().slice(0, 10)}; each section says when it was measured where it`,
    'matters). Machines here are shared and noisy, so every benchmark compares alternatives side by side',
    'in one run: read the ratios, not the absolute times. Raw figures: `bench/results/*.json`; each',
    'section also in `bench/results/<name>.md`. `npm run bench soak` runs the 30-minute soak.',
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
