/**
 * Real Go programs for the tests: built with the machine's Go from test/fixtures, started as
 * child processes, loaded over loopback. Everything started here is stopped by `stopAll()`.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { promisify } from 'util';
import { isAlive, waitFor } from './wait';

const execFileAsync = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const BIN = path.join(REPO_ROOT, 'out', 'fixtures-bin');

const built = new Map<string, Promise<string>>();

/**
 * The Go command. Inside VS Code's extension host PATH and HOME may differ from the test
 * runner's (code-server runs with its own HOME), so the runner passes Go's path and caches.
 */
function goCommand(): { file: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  for (const key of ['GOCACHE', 'GOPATH', 'GOMODCACHE'] as const) {
    const value = process.env[`MEMORY_WATCH_${key}`];
    if (value) env[key] = value;
  }
  return { file: process.env.MEMORY_WATCH_GO || 'go', env };
}

/** Builds `test/fixtures/<name>` once per test run; resolves with the binary's path. */
export function buildFixture(name: string, env: Record<string, string> = {}, outName = name.replace(/\W/g, '-')): Promise<string> {
  const key = `${name}:${outName}:${JSON.stringify(env)}`;
  let promise = built.get(key);
  if (!promise) {
    promise = (async () => {
      fs.mkdirSync(BIN, { recursive: true });
      const out = path.join(BIN, outName);
      const go = goCommand();
      await execFileAsync(go.file, ['build', '-o', out, `./${name}`], { cwd: FIXTURES, env: { ...process.env, ...go.env, ...env } });
      return out;
    })();
    built.set(key, promise);
  }
  return promise;
}

export interface RunningProgram {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Output so far (bounded). */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<RunningProgram>();

/** Starts a program and waits for `ready` to appear in its stdout. */
export async function startProgram(file: string, args: string[], ready?: RegExp, env: Record<string, string> = {}): Promise<RunningProgram & { match?: RegExpMatchArray }> {
  const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-64 * 1024);
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const program: RunningProgram = {
    proc,
    pid: proc.pid!,
    output: () => out,
    async stop() {
      running.delete(program);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
  running.add(program);
  if (!proc.pid) throw new Error(`could not start ${file}`);
  let match: RegExpMatchArray | undefined;
  if (ready) {
    match = await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`${path.basename(file)} exited early: ${out}`);
      return ready.exec(out) ?? undefined;
    }, `${path.basename(file)} to print ${ready}`, 15_000);
  }
  return Object.assign(program, { match });
}

/** Stops every program the tests started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

export interface SeedServer extends RunningProgram {
  readonly port: number;
  readonly baseUrl: string;
}

/** Starts the seed-like server on an ephemeral loopback port. */
export async function startSeedServer(flags: string[] = []): Promise<SeedServer> {
  const bin = await buildFixture('seedserver');
  const program = await startProgram(bin, ['-addr', '127.0.0.1:0', ...flags], /listening on 127\.0\.0\.1:(\d+)/);
  const port = Number(program.match![1]);
  return Object.assign(program, { port, baseUrl: `http://127.0.0.1:${port}` });
}

/**
 * The seed's load: POSTs of `bodyBytes` to /load, `concurrency` at a time, `requests` in all, all
 * within `deadlineMs`. Each body is read into a buffer the server then drops, so RSS grows and
 * the Go runtime keeps the freed pages for a while.
 */
export async function loadSeedServer(port: number, { requests = 48, concurrency = 16, bodyBytes = 8 << 20, deadlineMs = 30_000 } = {}): Promise<void> {
  const body = Buffer.alloc(bodyBytes, 0x61);
  const deadline = Date.now() + deadlineMs;
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/load', method: 'POST', headers: { 'content-length': body.length }, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`load answered ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error('load request timed out')));
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < requests) {
      if (Date.now() > deadline) throw new Error('load did not finish in time');
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** GET a loopback URL, as text (e.g. a fixture's /fixture/memstats, its own ReadMemStats). */
export function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** RSS as `ps` reports it, in bytes. */
export async function psRss(pid: number): Promise<number> {
  const { stdout } = await execFileAsync('ps', ['-o', 'rss=', '-p', String(pid)]);
  const kib = Number(stdout.trim());
  if (!Number.isFinite(kib) || !stdout.trim()) throw new Error(`ps gave no RSS for ${pid}`);
  return kib * 1024;
}

/** A process that does not catch SIGUSR1 (its default action would kill it). */
export async function startSleep(seconds = 120): Promise<RunningProgram> {
  const program = await startProgram('sleep', [String(seconds)]);
  await waitFor(() => isAlive(program.pid), 'sleep to start');
  return program;
}
