/**
 * Reads what `go tool pprof -top` prints (with or without -cum, -lines, -sample_index, -diff_base),
 * so the tests can hold our heap summaries against the real tool on the same profile file.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/** One row of `-top`: figures in bytes (or objects), the function and, with -lines, file:line. */
export interface PprofTopRow {
  flat: number;
  cum: number;
  functionName: string;
  file?: string;
  line?: number;
  inline: boolean;
  /** Half the last printed digit, in the same unit: how far pprof's rounding can be off. */
  rounding: number;
}

/** A whole `-top` listing. */
export interface PprofTop {
  type: string;
  /** "of X total", in bytes (or objects). */
  total: number;
  rows: PprofTopRow[];
}

// pprof's memory units are binary ("kB" = 1024 bytes): internal/measurement/measurement.go.
const UNITS: Record<string, number> = { '': 1, B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4, PB: 1024 ** 5 };

/** A figure as pprof prints it ("4026.73kB", "0", "-1.95MB", "1000") → [value, rounding]. */
export function parsePprofFigure(text: string): [number, number] {
  const m = /^(-?)(\d+(?:\.(\d+))?)(B|kB|MB|GB|TB|PB)?$/.exec(text);
  if (!m) throw new Error(`not a pprof figure: ${text}`);
  const unit = UNITS[m[4] ?? ''];
  const decimals = m[3]?.length ?? 0;
  return [(m[1] ? -1 : 1) * Number(m[2]) * unit, (0.5 * unit) / 10 ** decimals];
}

/** Parses the text of `go tool pprof -top …`. */
export function parsePprofTop(text: string): PprofTop {
  const type = /^Type: (\S+)/m.exec(text)?.[1] ?? '';
  const totalText = / of (\S+) total/.exec(text)?.[1];
  const rows: PprofTopRow[] = [];
  const header = text.indexOf('flat%');
  for (const line of text.slice(text.indexOf('\n', header) + 1).split('\n')) {
    const m = /^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    let rest = m[3];
    const inline = rest.endsWith(' (inline)');
    if (inline) rest = rest.slice(0, -' (inline)'.length);
    const [flat, flatRounding] = parsePprofFigure(m[1]);
    const [cum, cumRounding] = parsePprofFigure(m[2]);
    const located = /^(.*) (\S+):(\d+)$/.exec(rest);
    rows.push({
      flat,
      cum,
      functionName: located ? located[1] : rest,
      file: located?.[2],
      line: located ? Number(located[3]) : undefined,
      inline,
      rounding: Math.max(flatRounding, cumRounding),
    });
  }
  return { type, total: totalText ? parsePprofFigure(totalText)[0] : NaN, rows };
}

/** Runs `go tool pprof -top <args> <file>` and parses it. */
export async function goToolPprofTop(file: string, args: string[] = []): Promise<PprofTop> {
  const { stdout } = await execFileAsync(process.env.MEMORY_WATCH_GO || 'go', ['tool', 'pprof', '-top', ...args, file], { maxBuffer: 16 * 1024 * 1024 });
  return parsePprofTop(stdout);
}

/** True when `ours` is what pprof printed, within `share` (5 %) or pprof's own rounding. */
export function closeToPprof(ours: number, pprof: number, rounding: number, share = 0.05): boolean {
  return Math.abs(ours - pprof) <= Math.max(share * Math.abs(pprof), rounding);
}
