/**
 * Reading one heap profile, two ways, on the same saved file in one run: Memory Watch (read the
 * file, gunzip, decode and rank in a fresh worker thread — what the extension does per profile)
 * and `go tool pprof -top` (what a person runs), plus pprof's binary without the `go` launcher and
 * our code on the calling thread, for context. Rounds are interleaved so machine noise hits all
 * alike. The profile is the leaker fixture's, with 2^14 distinct stacks (16k+ samples).
 *
 * Run alone: `node scripts/build.mjs --tests && node out/bench/heapProfile.bench.js`.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { analyzeHeapProfile } from '../src/core/heap/analyze';
import { decodeHeapProfile } from '../src/core/heap/decode';
import { buildFixture, startProgram, stopAll } from '../test/support/goFixtures';
import { median, saveResult } from './benchUtil';

const execFileAsync = promisify(execFile);
const GO = process.env.MEMORY_WATCH_GO || 'go';
const ROUNDS = 9;

function get(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Saves the leaker's heap profile with 2^14 distinct stacks; returns the file's path. */
async function recordProfile(dir: string): Promise<string> {
  const program = await startProgram(await buildFixture('leaker'), [], /leaker listening on 127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${program.match![1]}`;
  await get(`${base}/spread?bits=14`);
  await get(`${base}/leak?n=2000`);
  await get(`${base}/churn?n=500`);
  const file = path.join(dir, 'heap.pb.gz');
  fs.writeFileSync(file, await get(`${base}/debug/pprof/heap?gc=1`));
  await stopAll();
  return file;
}

export async function runHeapProfileBench(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-heap-bench-'));
  try {
    const file = await recordProfile(dir);
    const pprofBinary = (await execFileAsync(GO, ['tool', '-n', 'pprof'])).stdout.trim();
    const ways: Record<string, () => Promise<unknown>> = {
      ours: async () => decodeHeapProfile(await fs.promises.readFile(file)),
      oursInThread: async () => analyzeHeapProfile(await fs.promises.readFile(file)),
      goToolPprof: () => execFileAsync(GO, ['tool', 'pprof', '-top', file], { maxBuffer: 16 << 20 }),
      pprofBinary: () => execFileAsync(pprofBinary, ['-top', file], { maxBuffer: 16 << 20 }),
    };
    // Warm up: go's build cache, the page cache.
    for (const fn of Object.values(ways)) await fn();
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, fn] of Object.entries(ways)) times[name].push(await timeMs(fn));
    }
    const summary = await analyzeHeapProfile(fs.readFileSync(file));
    const result = {
      unit: `ms per profile (median of ${ROUNDS} interleaved rounds)`,
      profile: { gzipBytes: fs.statSync(file).size, samples: summary.sampleCount, sites: summary.siteCount, functions: summary.functionCount },
      ours: median(times.ours),
      oursInThread: median(times.oursInThread),
      goToolPprof: median(times.goToolPprof),
      pprofBinary: median(times.pprofBinary),
      raw: times,
    };
    const machine = saveResult('heapProfile', result);
    const ratio = (x: number) => (x / result.goToolPprof).toFixed(2);
    return [
      '## Reading a Go heap profile: decode + rank vs `go tool pprof -top`',
      '',
      `Machine: ${machine}. One saved profile of the leaker fixture (${(result.profile.gzipBytes / 1024).toFixed(0)} KiB gzip, ${result.profile.samples} samples, ${result.profile.sites} sites, ${result.profile.functions} functions), rounds interleaved.`,
      'Ours reads the file and summarizes it in a fresh worker thread (gunzip, pprof-format decode, flat by site, flat and cum by function, top 500), as the extension does; pprof reads, decodes and prints its top list.',
      '',
      '| way | ms per profile | × go tool pprof |',
      '|---|---:|---:|',
      `| ours (worker thread, as the extension calls it) | ${result.ours.toFixed(0)} | ${ratio(result.ours)} |`,
      `| ours on the calling thread (blocks it; for context) | ${result.oursInThread.toFixed(0)} | ${ratio(result.oursInThread)} |`,
      `| \`go tool pprof -top\` | ${result.goToolPprof.toFixed(0)} | 1 |`,
      `| pprof's binary \`-top\` (no \`go\` launcher) | ${result.pprofBinary.toFixed(0)} | ${ratio(result.pprofBinary)} |`,
      '',
      `Goal ≤ 0.5× \`go tool pprof -top\`: ${result.ours / result.goToolPprof <= 0.5 ? 'met' : 'NOT met'}.`,
    ].join('\n');
  } finally {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runHeapProfileBench().then(
    (text) => console.log(text),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
