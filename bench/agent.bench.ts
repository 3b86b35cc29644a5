/**
 * The agent's overhead in the target, measured by `go test -bench` in agent/: one snapshot from
 * runtime/metrics (what every poll costs the program) beside runtime.ReadMemStats (the
 * stop-the-world way expvar and pprof read the same figures), and a full snapshot over loopback HTTP.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { median, saveResult } from './benchUtil';

const AGENT = path.resolve(__dirname, '..', '..', 'agent');

export function runAgentBench(): string {
  const out = execFileSync(process.env.MEMORY_WATCH_GO || 'go', ['test', '-run=^$', '-bench=.', '-benchtime=2000x', '-count=5', './'], { cwd: AGENT, encoding: 'utf8' });
  const runs: Record<string, { ns: number[]; bytes: number[]; allocs: number[] }> = {};
  for (const m of out.matchAll(/^Benchmark(\w+)-\d+\s+\d+\s+([\d.]+) ns\/op\s+(\d+) B\/op\s+(\d+) allocs\/op/gm)) {
    const r = (runs[m[1]] ??= { ns: [], bytes: [], allocs: [] });
    r.ns.push(Number(m[2]));
    r.bytes.push(Number(m[3]));
    r.allocs.push(Number(m[4]));
  }
  const row = (name: string) => ({ ns: median(runs[name].ns), bytes: median(runs[name].bytes), allocs: median(runs[name].allocs) });
  const snapshot = row('TakeSnapshot');
  const memstats = row('ReadMemStats');
  const http = row('SnapshotHTTP');
  const goVersion = execFileSync(process.env.MEMORY_WATCH_GO || 'go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const machine = saveResult('agent', { unit: 'ns per operation (median of 5 × 2000)', goVersion, snapshot, memstats, http });
  return [
    '## The agent in the target (go test -bench, agent/)',
    '',
    `Machine: ${machine}; ${goVersion}. Median of 5 runs × 2000 iterations.`,
    '',
    '| operation | ns/op | B/op | allocs/op | × ReadMemStats |',
    '|---|---:|---:|---:|---:|',
    `| TakeSnapshot (runtime/metrics, no stop-the-world) | ${snapshot.ns.toFixed(0)} | ${snapshot.bytes} | ${snapshot.allocs} | ${(snapshot.ns / memstats.ns).toFixed(3)} |`,
    `| runtime.ReadMemStats (stops the world; what expvar and pprof use) | ${memstats.ns.toFixed(0)} | ${memstats.bytes} | ${memstats.allocs} | 1 |`,
    `| GET …/snapshot over loopback (client and server) | ${http.ns.toFixed(0)} | ${http.bytes} | ${http.allocs} | ${(http.ns / memstats.ns).toFixed(2)} |`,
    '',
    'At one sample a second, the agent costs the program about one snapshot and one small HTTP exchange a second.',
  ].join('\n');
}
