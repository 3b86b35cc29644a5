/** `npm run bench`: runs every benchmark and rewrites bench/RESULTS.md with the figures. */
import * as fs from 'fs';
import * as path from 'path';
import { runAgentBench } from './agent.bench';
import { runChartBench } from './chart.bench';
import { runSamplerBench } from './sampler.bench';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const sections: string[] = [];
  if (!only.length || only.includes('sampler')) sections.push(await runSamplerBench());
  if (!only.length || only.includes('chart')) sections.push(await runChartBench());
  if (!only.length || only.includes('agent')) sections.push(runAgentBench());
  const file = path.resolve(__dirname, '..', '..', 'bench', 'RESULTS.md');
  const text = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machines here are shared and noisy, so every`,
    'benchmark compares alternatives side by side in one run: read the ratios, not the absolute times.',
    'Raw figures: `bench/results/*.json`.',
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  fs.writeFileSync(file, text);
  console.log(text);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
