/**
 * `vsce package` as every script and suite runs it (no dependencies bundled: esbuild already did),
 * quiet when it works and saying what vsce said when it does not — a refused README image or a
 * failed build would otherwise be only "Command failed". The README's relative links and images
 * stay relative (the files they name are in the .vsix, .vscodeignore): vsce would otherwise rewrite
 * them to a repository URL, and refuses to package without one.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { REPO_ROOT } from './tools';

export function packageVsix(out: string, options: { cwd?: string; extraArgs?: readonly string[] } = {}): void {
  const result = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', ...(options.extraArgs ?? []), '--out', out], {
    cwd: options.cwd ?? REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status === 0) return;
  const said = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  throw new Error(`vsce package failed (${result.error?.message ?? `exit ${result.status}`}):\n${said}`);
}
