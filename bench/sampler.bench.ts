/**
 * One sample of a process's memory, three ways, on the same PID in one run: our /proc reader
 * (kept-open files, pread), pidusage (what most extensions use), and spawning `ps` (what macOS
 * needs). Rounds are interleaved so machine noise hits all three alike; the ratios are the result.
 */
import { execFile } from 'child_process';
import pidusage from 'pidusage';
import { promisify } from 'util';
import { ProcfsReader } from '../src/core/sampling/procfs';
import { startSeedServer, stopAll } from '../test/support/goFixtures';
import { median, saveResult } from './benchUtil';

const execFileAsync = promisify(execFile);

async function timeIt(iterations: number, fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations; // µs per call
}

export async function runSamplerBench(): Promise<string> {
  const server = await startSeedServer();
  const pid = server.pid;
  const reader = ProcfsReader.open(pid);
  try {
    const ours: number[] = [];
    const oursAsync: number[] = [];
    const usage: number[] = [];
    const ps: number[] = [];
    // Warm up each path once (JIT, page cache, pidusage's history).
    await timeIt(2000, () => reader.readSync());
    await timeIt(200, () => pidusage(pid));
    await timeIt(5, () => execFileAsync('ps', ['-o', 'rss=,vsz=', '-p', String(pid)]));
    for (let round = 0; round < 7; round++) {
      ours.push(await timeIt(20_000, () => reader.readSync()));
      oursAsync.push(await timeIt(20_000, () => reader.read()));
      usage.push(await timeIt(2000, () => pidusage(pid)));
      ps.push(await timeIt(30, () => execFileAsync('ps', ['-o', 'rss=,vsz=', '-p', String(pid)])));
    }
    const result = {
      unit: 'µs per sample (median of 7 interleaved rounds)',
      ours: median(ours),
      oursAsync: median(oursAsync),
      pidusage: median(usage),
      ps: median(ps),
    };
    const machine = saveResult('sampler', result);
    const ratio = (x: number) => (x / result.pidusage).toFixed(3);
    return [
      '## One memory sample of a live Go process (Linux)',
      '',
      `Machine: ${machine}. Same PID, one run, rounds interleaved.`,
      'Ours reads `/proc/PID/status` through a kept-open descriptor (one pread): RSS, VSZ, peak, RssAnon/RssFile/swap and the state; `stat` for CPU time at most once a second and `smaps_rollup` for LazyFree at most every 2 s (so this loop is mostly the status read).',
      'pidusage reads `/proc/PID/stat` and `/proc/uptime` per call (RSS and CPU only).',
      '',
      '| reader | µs per sample | × pidusage |',
      '|---|---:|---:|',
      `| ours (sync, as the loop calls it) | ${result.ours.toFixed(2)} | ${ratio(result.ours)} |`,
      `| ours (through the async interface) | ${result.oursAsync.toFixed(2)} | ${ratio(result.oursAsync)} |`,
      `| pidusage 4.1 | ${result.pidusage.toFixed(1)} | 1 |`,
      `| spawn \`ps -o rss=,vsz= -p PID\` | ${result.ps.toFixed(0)} | ${ratio(result.ps)} |`,
      '',
      `Goal ≤ 0.1× pidusage: ${result.oursAsync / result.pidusage <= 0.1 ? 'met' : 'NOT met'}.`,
    ].join('\n');
  } finally {
    reader.close();
    pidusage.clear();
    await stopAll();
  }
}
