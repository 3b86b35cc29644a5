/**
 * Where "Add FreeOSMemory Hook" may write, decided on real paths: a workspace is often a cloned
 * repository, and a folder or a file in it can be a symbolic link leading anywhere. The folder's
 * real path must be inside a workspace folder's real path; the hook files must be absent or
 * regular files, never links (core/util/noFollowWrite.ts). Checked when the folder is picked, and
 * again when the user says yes: the question can stay open for minutes.
 */
import fs = require('fs');
import path = require('path');
import { inspectWriteTarget, RefusedWrite, writeNoFollow } from '../util/noFollowWrite';
import { HOOK_FILE_NAME, HOOK_FILES } from './template';

/** Why not, in one line for the user (no "Memory Watch:" prefix). */
export type Refusal = { readonly ok: false; readonly reason: string };

/** The folder's real path when it is a folder inside (or equal to) one of the roots' real paths. */
export async function resolveHookFolder(folder: string, roots: readonly string[]): Promise<{ readonly ok: true; readonly folder: string } | Refusal> {
  const real = await fs.promises.realpath(folder).catch(() => undefined);
  const stat = real ? await fs.promises.stat(real).catch(() => undefined) : undefined;
  if (!real || !stat?.isDirectory()) return { ok: false, reason: `${folder} is not a folder` };
  for (const root of roots) {
    const realRoot = await fs.promises.realpath(root).catch(() => undefined);
    // With the separator: /ws-evil is not inside /ws.
    if (realRoot && (real === realRoot || real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep))) return { ok: true, folder: real };
  }
  const leads = path.resolve(folder) === real ? '' : ` (it leads to ${real})`;
  return { ok: false, reason: `${folder} is outside this workspace's folders${leads}` };
}

/** Which hook files are there already (to be replaced), or why none may be written. */
export async function planHook(folder: string): Promise<{ readonly ok: true; readonly existing: readonly string[] } | Refusal> {
  const existing: string[] = [];
  for (const file of HOOK_FILES) {
    const target = await inspectWriteTarget(path.join(folder, file.name));
    if (target.kind === 'refused') return { ok: false, reason: target.reason };
    if (target.kind === 'file') existing.push(file.name);
  }
  return { ok: true, existing };
}

/**
 * Writes the hook files into `folder` once the user said yes: the folder checked against the
 * roots again, each file created ('create': the user was told none existed) or replaced
 * ('replace': "Overwrite"), never through a link. Resolves with memorywatch_hook.go's path.
 */
export async function writeHook(folder: string, roots: readonly string[], how: 'create' | 'replace'): Promise<{ readonly ok: true; readonly file: string } | Refusal> {
  const resolved = await resolveHookFolder(folder, roots);
  if (!resolved.ok) return resolved;
  try {
    for (const file of HOOK_FILES) await writeNoFollow(path.join(resolved.folder, file.name), file.source, how);
  } catch (err) {
    if (err instanceof RefusedWrite) return { ok: false, reason: err.message };
    return { ok: false, reason: `could not write in ${resolved.folder}: ${(err as Error).message}` };
  }
  return { ok: true, file: path.join(resolved.folder, HOOK_FILE_NAME) };
}
