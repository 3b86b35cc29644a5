/**
 * The watched program of the cost benchmarks (bench/cost/target, built with the machine's Go):
 * an idle Go service on loopback exposing its memory through expvar, the agent, Prometheus
 * /metrics, or nothing, and
 * its own stop-the-world pauses (runtime/metrics) for the bench to read.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** How the program exposes its Go figures. */
export type TargetSource = 'expvar' | 'agent' | 'metrics' | 'none';

/** Builds bench/cost/target into out/bench-bin/costtarget; resolves with the binary's path. */
export async function buildTarget(): Promise<string> {
  const out = path.join(ROOT, 'out', 'bench-bin', 'costtarget');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Its own module (it names the agent by a replace directive), outside any go.work.
  await execFileAsync(process.env.MEMORY_WATCH_GO || 'go', ['build', '-o', out, '.'], { cwd: path.join(ROOT, 'bench', 'cost', 'target'), env: { ...process.env, GOWORK: 'off' } });
  return out;
}

/** Stop-the-world pauses and GC cycles since the program started. */
export interface Pauses {
  readonly gcPauses: number;
  readonly otherPauses: number;
  readonly gcCycles: number;
}

export class Target {
  private constructor(
    private readonly proc: ChildProcess,
    readonly pid: number,
    readonly port: number,
  ) {}

  /** Starts one and waits until it listens and has written `pidFile`. */
  static async start(bin: string, source: TargetSource, pidFile: string, extraArgs: readonly string[] = []): Promise<Target> {
    const proc = spawn(bin, ['-source', source, '-pidfile', pidFile, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4096)));
    proc.stderr!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4096)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m && fs.existsSync(pidFile)) return new Target(proc, proc.pid!, Number(m[1]));
      if (proc.exitCode !== null) throw new Error(`costtarget exited early: ${out}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`costtarget did not start within 15 s: ${out}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Its pause counters (one small GET; reading runtime/metrics stops nothing). */
  pauses(): Promise<Pauses> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: this.port, path: '/bench/pauses', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(body) as Pauses;
            if (![parsed.gcPauses, parsed.otherPauses, parsed.gcCycles].every(Number.isFinite)) throw new Error(`unexpected answer: ${body.slice(0, 200)}`);
            resolve(parsed);
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('/bench/pauses timed out')));
      req.on('error', reject);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}
