/** Small helpers shared by the benchmarks: medians, and writing results into the repo. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'bench', 'results');

/** Writes `name`.json (machine-readable) and returns a one-line description of the machine. */
export function saveResult(name: string, data: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
  fs.writeFileSync(path.join(RESULTS_DIR, `${name}.json`), JSON.stringify({ date: new Date().toISOString(), machine, ...(data as object) }, null, 2) + '\n');
  return machine;
}
