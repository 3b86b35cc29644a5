/**
 * Reading one real 5 MiB /metrics page, two ways, on the same bytes in one run: Memory Watch's
 * reader (src/core/goruntime/prometheusText.ts: fed 64 KiB chunks as a socket gives them, keeps
 * ≈ 40 samples) and the most-used npm parser, parse-prometheus-text-format (decode the body to
 * a string, parse it whole into objects). Rounds are interleaved so machine noise hits both alike.
 * The page is the prometheus fixture's: runtime/metrics classes and ≈ 5 MiB of its own series.
 *
 * Not part of `npm run bench` (its results are not in RESULTS.md). Run alone:
 *   npm install --no-save parse-prometheus-text-format@1.1.1   # optional: without it, ours alone
 *   node scripts/build.mjs --tests && node out/bench/prometheusText.bench.js
 */
import * as http from 'http';
import { PrometheusTextReader } from '../src/core/goruntime/prometheusText';
import { buildFixture, startProgram, stopAll } from '../test/support/goFixtures';
import { median } from './benchUtil';

const ROUNDS = 9;
const CHUNK = 64 * 1024;
const MiB = 2 ** 20;

type Parse = (text: string) => { name: string; metrics: { value?: string; labels?: Record<string, string> }[] }[];

/** parse-prometheus-text-format, if installed (it is not a dependency of the project). */
function npmParser(): Parse | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('parse-prometheus-text-format') as Parse | { default: Parse };
    return typeof mod === 'function' ? mod : mod.default;
  } catch {
    return undefined;
  }
}

function get(url: string, accept: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Accept: accept } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** One run of `fn`: its CPU time and the longest single synchronous call it made, in ms. */
function measure(fn: (longest: (ms: number) => void) => void): { cpuMs: number; longestMs: number } {
  let longestMs = 0;
  const cpu0 = process.cpuUsage();
  fn((ms) => (longestMs = Math.max(longestMs, ms)));
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, longestMs };
}

function timed<T>(longest: (ms: number) => void, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  const value = fn();
  longest(Number(process.hrtime.bigint() - t0) / 1e6);
  return value;
}

export async function runPrometheusTextBench(): Promise<string> {
  const program = await startProgram(await buildFixture('sources/prometheus'), ['-registry', 'custom', '-own', '5.6'], /listening on 127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${program.match![1]}/metrics`;
  const text = await get(base, 'text/plain;version=0.0.4');
  const openMetrics = await get(base, 'application/openmetrics-text;version=1.0.0');
  await stopAll();
  const mib = text.length / MiB;
  const parse = npmParser();

  const ours = (page: Buffer) => (longest: (ms: number) => void) => {
    const reader = new PrometheusTextReader();
    for (let i = 0; i < page.length; i += CHUNK) timed(longest, () => reader.feed(page.subarray(i, i + CHUNK)));
    const result = timed(longest, () => reader.end());
    if (!result.figures) throw new Error(`no figures: ${result.problems.join('; ')}`);
  };
  const theirs = (page: Buffer) => (longest: (ms: number) => void) => {
    // What a caller does with it: the body as one string, parsed as one call.
    const families = timed(longest, () => parse!(page.toString('utf8')));
    if (!families.some((f) => f.name === 'go_memstats_sys_bytes')) throw new Error('no go_memstats_sys_bytes');
  };

  // Do both agree on what they both read? One figure, from each.
  const agree = (() => {
    if (!parse) return 'not installed';
    const reader = new PrometheusTextReader();
    reader.feed(text);
    const mine = reader.end().values.go_memstats_sys_bytes;
    const theirsValue = Number(parse(text.toString('utf8')).find((f) => f.name === 'go_memstats_sys_bytes')?.metrics[0]?.value);
    return mine === theirsValue ? `both read go_memstats_sys_bytes = ${mine}` : `they differ: ${mine} vs ${theirsValue}`;
  })();
  const openMetricsByThem = (() => {
    if (!parse) return 'not installed';
    try {
      parse(openMetrics.toString('utf8'));
      return 'parsed';
    } catch (err) {
      return `throws: ${(err as Error).message.slice(0, 80)}`;
    }
  })();

  const runs: Record<string, { cpuMs: number[]; longestMs: number[] }> = { ours: { cpuMs: [], longestMs: [] }, oursOpenMetrics: { cpuMs: [], longestMs: [] }, theirs: { cpuMs: [], longestMs: [] } };
  ours(text)(() => undefined); // warm up the JIT for both
  if (parse) theirs(text)(() => undefined);
  for (let round = 0; round < ROUNDS; round++) {
    const add = (name: string, r: { cpuMs: number; longestMs: number }) => {
      runs[name].cpuMs.push(r.cpuMs);
      runs[name].longestMs.push(r.longestMs);
    };
    add('ours', measure(ours(text)));
    add('oursOpenMetrics', measure(ours(openMetrics)));
    if (parse) add('theirs', measure(theirs(text)));
  }
  const row = (label: string, name: string, size: number) => {
    const cpu = median(runs[name].cpuMs);
    return `| ${label} | ${(cpu / (size / MiB)).toFixed(2)} | ${median(runs[name].longestMs).toFixed(2)} |`;
  };
  const ratio = parse ? median(runs.theirs.cpuMs) / median(runs.ours.cpuMs) : undefined;
  return [
    '## Reading a Prometheus /metrics page (bench/prometheusText.bench.ts)',
    '',
    `A real ${mib.toFixed(2)} MiB page of client_golang v1.25.0 (runtime/metrics classes, ${text.toString('latin1').split('\n').length} lines); median of ${ROUNDS} interleaved rounds, Node ${process.version}.`,
    '',
    '| reader | CPU ms per MiB | longest synchronous call, ms |',
    '|---|---:|---:|',
    row('Memory Watch, 64 KiB chunks (text 0.0.4)', 'ours', text.length),
    row('Memory Watch, 64 KiB chunks (OpenMetrics 1.0)', 'oursOpenMetrics', openMetrics.length),
    parse ? row('parse-prometheus-text-format 1.1.1 (toString + parse, whole page)', 'theirs', text.length) : '| parse-prometheus-text-format | not installed | |',
    '',
    ratio !== undefined ? `parse-prometheus-text-format costs ${ratio.toFixed(0)}× the CPU of ours on this page; ${agree}. On the OpenMetrics page it ${openMetricsByThem}.` : '',
  ].join('\n');
}

if (require.main === module) {
  runPrometheusTextBench()
    .then((section) => console.log(section))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
