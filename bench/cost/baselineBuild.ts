/**
 * A build of another commit to run beside this checkout's in one process (the compare and
 * diagnosis benches): `ref` checked out in a temporary git worktree (node_modules shared with this
 * checkout) and built there; each build's modules are loaded by path.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface BaselineBuild {
  /** The baseline's out/ and this checkout's. */
  readonly baselineOut: string;
  readonly currentOut: string;
  /** Short hashes, for the results. */
  readonly commit: string;
  readonly head: string;
  /** A scratch directory that goes with the worktree. */
  readonly work: string;
}

/** Builds `ref`, runs `use` with both builds, and removes the worktree whatever happens. */
export async function withBaselineBuild<T>(ref: string, use: (build: BaselineBuild) => Promise<T> | T): Promise<T> {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-baseline-'));
  const worktree = path.join(work, 'baseline');
  try {
    execFileSync('git', ['worktree', 'add', '--detach', worktree, ref], { cwd: ROOT, stdio: 'ignore' });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(worktree, 'node_modules'));
    execFileSync(process.execPath, ['scripts/build.mjs', '--tests'], { cwd: worktree, stdio: 'ignore' });
    return await use({ baselineOut: path.join(worktree, 'out'), currentOut: path.join(ROOT, 'out'), commit, head, work });
  } finally {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // Not made (the ref did not exist): nothing to remove.
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A module of a build (`src/core/diagnosis` …), loaded by path: the same module in two versions.
 * A module that moved is named by each of its paths, newest first (an older build has the old one).
 */
export function loadFromBuild<T>(outDir: string, modulePath: string | readonly string[]): T {
  const paths = typeof modulePath === 'string' ? [modulePath] : modulePath;
  const found = paths.map((p) => path.join(outDir, ...p.split('/'))).find((p) => fs.existsSync(`${p}.js`)) ?? path.join(outDir, ...paths[0].split('/'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- two builds of the same modules, loaded by path
  return require(found);
}
