/**
 * Runs code-server (real VS Code: server + web workbench) isolated in a state folder: its own
 * HOME, user data, extensions and temp dir, on 127.0.0.1, in its own process group so stopping it
 * stops everything it started. Used by the extension-host suite, the UI suite and `npm start`.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { tools } from './tools';

const execFileAsync = promisify(execFile);

export interface CodeServerOptions {
  /** Folder for all of code-server's state (created; reused if it exists). */
  readonly stateDir: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** Written to User/settings.json (merged over quiet defaults). */
  readonly userSettings?: Record<string, unknown>;
  /** Written to Machine/settings.json (where code-server reads machine-scoped settings). */
  readonly machineSettings?: Record<string, unknown>;
  /** Leave Workspace Trust on, so an untrusted folder opens in Restricted Mode. */
  readonly workspaceTrust?: boolean;
  /** Let the browser run an extension-host test suite (smoke-test driver + payload URL). */
  readonly smokeTestDriver?: boolean;
  /** Extra environment for the server (and so for its extension host). */
  readonly env?: Record<string, string>;
}

export interface CodeServer {
  readonly port: number;
  readonly origin: string;
  readonly stateDir: string;
  /** URL that opens `folder` in the workbench. */
  urlFor(folder: string, payload?: [string, string][]): string;
  /** The server's output so far (bounded). */
  log(): string;
  stop(): Promise<void>;
}

/** Settings that keep the workbench quiet and the keyboard ours (no welcome page, no chat, no telemetry). */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'git.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'window.commandCenter': false,
  // VS Code's remote extension host scans /proc for listening ports every few seconds (its own
  // auto port forwarding): tens of ms on its thread on this loaded machine, counted by our
  // measures of the extension host's event loop though none of it is ours.
  'remote.autoForwardPorts': false,
};

/** A free port on 127.0.0.1 (closed again before use; the caller retries if it is taken meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function stateEnv(stateDir: string): Record<string, string> {
  const dirs = { HOME: 'home', XDG_CONFIG_HOME: 'config', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache', TMPDIR: 'tmp' };
  const env: Record<string, string> = {};
  for (const [key, sub] of Object.entries(dirs)) {
    env[key] = path.join(stateDir, sub);
    fs.mkdirSync(env[key], { recursive: true });
  }
  return env;
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

/** Installs a .vsix into the state folder's extensions dir (no server needed). */
export async function installVsix(stateDir: string, vsix: string): Promise<void> {
  const t = tools();
  await execFileAsync(
    t.node24,
    [path.join(t.codeServer, 'out', 'node', 'entry.js'), '--user-data-dir', path.join(stateDir, 'ud'), '--extensions-dir', path.join(stateDir, 'exts'), '--install-extension', vsix, '--force'],
    { env: { ...process.env, ...stateEnv(stateDir) }, timeout: 120_000 },
  );
}

function healthy(origin: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${origin}/healthz`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const t = tools();
  const stateDir = path.resolve(options.stateDir);
  fs.mkdirSync(stateDir, { recursive: true });
  const env = stateEnv(stateDir);
  writeJson(path.join(stateDir, 'ud', 'User', 'settings.json'), { ...QUIET_SETTINGS, ...options.userSettings });
  if (options.machineSettings) writeJson(path.join(stateDir, 'ud', 'Machine', 'settings.json'), options.machineSettings);
  fs.writeFileSync(path.join(stateDir, 'config.yaml'), 'auth: none\ncert: false\n');

  const port = options.port || (await freePort());
  const args = [
    path.join(t.codeServer, 'out', 'node', 'entry.js'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--config', path.join(stateDir, 'config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', path.join(stateDir, 'ud'),
    '--extensions-dir', path.join(stateDir, 'exts'),
  ];
  if (!options.workspaceTrust) args.push('--disable-workspace-trust');
  if (options.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');

  const proc: ChildProcess = spawn(t.node24, args, {
    detached: true, // its own process group: stop() kills the server, its extension hosts and their children
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, ...options.env },
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-256 * 1024);
  };
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const origin = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  while (!(await healthy(origin))) {
    if (proc.exitCode !== null) throw new Error(`code-server exited (code ${proc.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not become healthy within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    port,
    origin,
    stateDir,
    urlFor(folder: string, payload?: [string, string][]) {
      const query = [`folder=${encodeURIComponent(folder)}`];
      if (payload) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
      return `${origin}/?${query.join('&')}`;
    },
    log: () => output,
    stop,
  };
}
