/**
 * GOROOT without `go env`: where the profile's own standard library files say it is, when that
 * folder holds a Go installation here. An extension host may not have `go` on its PATH (VS Code
 * takes it from a login shell), yet the standard library's files must still be told apart from
 * the user's: they open read-only.
 */
import path = require('path');
import { goPackageOf } from './functionNames';
import type { PathFs } from './pathMapping';

/** How many candidate folders are checked (a profile names few GOROOTs: one). */
const MAX_CANDIDATES = 4;

/**
 * The folders above `src/<package>/` of the files of standard library functions (`runtime`,
 * `net/http`: no dot in the first path element), as the profile names them, most frequent first.
 */
export function gorootCandidates(locations: readonly { readonly file: string; readonly functionName: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const { file, functionName } of locations) {
    const pkg = goPackageOf(functionName);
    if (!pkg || pkg === 'main' || pkg.split('/')[0].includes('.')) continue;
    const slashed = file.replace(/\\/g, '/');
    const marker = `/src/${pkg}/`;
    const at = slashed.lastIndexOf(marker);
    // The file itself must sit right in the package's folder.
    if (at <= 0 || slashed.indexOf('/', at + marker.length) !== -1) continue;
    const root = slashed.slice(0, at);
    counts.set(root, (counts.get(root) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_CANDIDATES).map(([root]) => root);
}

/** The first candidate that is a Go installation on this disk: src/runtime/malloc.go, and VERSION or go.env. */
export async function guessGoroot(locations: readonly { readonly file: string; readonly functionName: string }[], fs: PathFs): Promise<string | undefined> {
  for (const root of gorootCandidates(locations)) {
    if (!path.isAbsolute(root)) continue;
    const installed = (await fs.isFile(path.join(root, 'src', 'runtime', 'malloc.go'))) && ((await fs.isFile(path.join(root, 'VERSION'))) || (await fs.isFile(path.join(root, 'go.env'))));
    if (installed) return root;
  }
  return undefined;
}
