/**
 * PID files: many services write their PID to a file when they start. Watching such a file lets
 * Memory Watch follow a service across restarts without anyone picking it again.
 */
import os = require('os');
import path = require('path');
import { readSmallFile, SmallFileError } from './util/boundedFile';

/** A PID file is a number and maybe a newline; anything bigger is not one. */
const MAX_PID_FILE_BYTES = 64;

/** The PID in a PID file's text, or undefined when it holds anything else. */
export function parsePidFile(text: string): number | undefined {
  const m = /^\s*(\d{1,10})\s*$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return pid > 0 && Number.isSafeInteger(pid) ? pid : undefined;
}

/** Expands `~` and `${workspaceFolder}`, and makes a relative path relative to the workspace folder. */
export function resolvePidFilePath(raw: string, workspaceFolder: string | undefined): string | undefined {
  let p = raw.trim();
  if (!p) return undefined;
  if (p.includes('${workspaceFolder}')) {
    if (!workspaceFolder) return undefined;
    p = p.split('${workspaceFolder}').join(workspaceFolder);
  }
  if (p === '~' || p.startsWith('~/')) p = path.join(os.homedir(), p.slice(1));
  if (!path.isAbsolute(p)) {
    if (!workspaceFolder) return undefined;
    p = path.join(workspaceFolder, p);
  }
  return path.normalize(p);
}

/**
 * Reads the PID from a PID file; rejects with a readable message. The file comes from the
 * workspace's settings: a FIFO, a device or a huge file there is refused, never waited on.
 */
export async function readPidFile(file: string): Promise<number> {
  let text: string;
  try {
    text = await readSmallFile(file, MAX_PID_FILE_BYTES);
  } catch (err) {
    const e = err as SmallFileError;
    if (e.code === 'missing') throw new Error(`${file} does not exist (yet)`, { cause: err });
    if (e.code === 'too-large') throw new Error(`${file} does not hold a PID`, { cause: err });
    throw new Error(e.message, { cause: err });
  }
  const pid = parsePidFile(text);
  if (pid === undefined) throw new Error(`${file} does not hold a PID`);
  return pid;
}
