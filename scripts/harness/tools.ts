/**
 * Where the real tools live: Node 24 + code-server, Chromium, Delve — installed by
 * scripts/install-tools.sh into a cache keyed by version. Environment variables override.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface Tools {
  readonly node24: string;
  readonly codeServer: string;
  readonly chromium: string;
  readonly dlv: string;
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
