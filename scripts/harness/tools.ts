/**
 * Where the real tools live: Node 24 + code-server, Chromium, Delve — installed by
 * scripts/install-tools.sh into a cache keyed by version — and Debian's Prometheus server and
 * promtool. Environment variables override.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface Tools {
  readonly node24: string;
  readonly codeServer: string;
  readonly chromium: string;
  readonly dlv: string;
  /** A Prometheus 2.x server (Debian's package), started by the history tests themselves. */
  readonly prometheus: string;
  /** Prometheus's promtool (backfills history into TSDB blocks). */
  readonly promtool: string;
}

let cached: Tools | undefined;

/** Paths of the installed tools (asks install-tools.sh, which only prints when given --print-env). */
export function tools(): Tools {
  if (cached) return cached;
  const printed = execFileSync(path.join(REPO_ROOT, 'scripts', 'install-tools.sh'), ['--print-env'], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const m of printed.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2];
  const pick = (key: string) => process.env[key] || env[key] || '';
  cached = {
    node24: pick('MEMORY_WATCH_NODE24'),
    codeServer: pick('MEMORY_WATCH_CODE_SERVER'),
    chromium: pick('MEMORY_WATCH_CHROMIUM'),
    dlv: pick('MEMORY_WATCH_DLV'),
    prometheus: pick('MEMORY_WATCH_PROMETHEUS'),
    promtool: pick('MEMORY_WATCH_PROMTOOL'),
  };
  return cached;
}

/** Says which tools are missing, or undefined when all the real-VS-Code suites need is there. */
export function missingVsCodeTools(): string | undefined {
  const t = tools();
  const missing = [
    !fs.existsSync(t.node24) && `Node 24 (${t.node24})`,
    !fs.existsSync(path.join(t.codeServer, 'out', 'node', 'entry.js')) && `code-server (${t.codeServer})`,
    !fs.existsSync(t.chromium) && `Chromium (${t.chromium})`,
  ].filter(Boolean);
  return missing.length ? `${missing.join(', ')} not installed: run scripts/install-tools.sh` : undefined;
}

/**
 * Says what is missing for the tests that run a real Prometheus server, or undefined when
 * prometheus and promtool are there and are 2.x (the flags and the block format the test support
 * uses; Debian 12 ships 2.42).
 */
export function missingPrometheus(): string | undefined {
  const t = tools();
  const missing: string[] = [];
  for (const [name, file] of [['prometheus', t.prometheus], ['promtool', t.promtool]] as const) {
    if (!file || !fs.existsSync(file)) {
      missing.push(`${name} (${file || 'no path'}) not installed`);
      continue;
    }
    const version = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const printed = `${version.stdout ?? ''}${version.stderr ?? ''}`;
    if (!new RegExp(`^${name}, version 2\\.`, 'm').test(printed)) missing.push(`${name} at ${file} is not 2.x (${printed.split('\n')[0] || version.error?.message})`);
  }
  return missing.length ? `${missing.join(', ')}: run scripts/install-tools.sh` : undefined;
}

/** Flags for Debian's Chromium as root, offline (see ../shared/notes/real-vscode-testing.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-quic',
];
