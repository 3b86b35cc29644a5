/** Runs a short-lived tool (ps, tasklist) with a deadline and a bounded output. */
import { execFile } from 'child_process';

export interface ExecResult {
  readonly stdout: string;
  /** The exit code; null when killed. */
  readonly code: number | null;
}

/** Runs `file args…`; never rejects for a non-zero exit (ps exits 1 for a missing PID). */
export function run(file: string, args: readonly string[], timeoutMs = 3000, maxBuffer = 8 * 1024 * 1024): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer, windowsHide: true, encoding: 'utf8' }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${file} is not installed or not on PATH`));
        return;
      }
      if (err && (err as { killed?: boolean }).killed) {
        reject(new Error(`${file} did not answer within ${timeoutMs} ms`));
        return;
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ stdout, code });
    });
  });
}
