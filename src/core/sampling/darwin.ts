/**
 * macOS: no /proc, so `ps`, one PID per call (several PIDs in one `ps -p` were measured much
 * slower). ps reports RSS and VSZ in KiB; %cpu is its own decaying average.
 */
import { parseCount, scaleCount } from '../util/counts';
import { run } from './exec';
import { MemoryReader, MemorySample, ProcessIdentity, SampleError, toSampleError } from './types';

/** Parses the output of `ps -o rss=,vsz=,%cpu= -p PID`. */
export function parsePsMemory(text: string): { rss: number; vsz: number; cpu?: number } | undefined {
  const line = text.trim().split('\n')[0]?.trim();
  if (!line) return undefined;
  const [rssText, vszText, cpuText] = line.split(/\s+/);
  // ps writes KiB as whole numbers; %cpu with the locale's decimal mark.
  const rss = scaleCount(parseCount(rssText), 1024);
  const vsz = scaleCount(parseCount(vszText), 1024);
  if (rss === undefined || vsz === undefined) throw new Error(`unexpected ps output: ${line.slice(0, 80)}`);
  const cpu = cpuText !== undefined && /^\d{1,6}([.,]\d{1,3})?$/.test(cpuText) ? Number(cpuText.replace(',', '.')) : undefined;
  return { rss, vsz, cpu };
}

/** The identity of `pid` from `ps -o lstart=` (its start time, to the second). */
export async function psIdentity(pid: number): Promise<ProcessIdentity> {
  const result = await run('ps', ['-o', 'lstart=', '-p', String(pid)]);
  const start = result.stdout.trim().replace(/\s+/g, " ");
  if (!start) throw new SampleError('no-such-process', `No process with PID ${pid}.`);
  return { pid, startToken: start };
}

export class PsReader implements MemoryReader {
  private closed = false;

  private constructor(readonly identity: ProcessIdentity) {}

  static async open(pid: number, expected?: ProcessIdentity): Promise<PsReader> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new SampleError('no-such-process', `${pid} is not a valid PID.`);
    try {
      const identity = await psIdentity(pid);
      if (expected && expected.startToken !== identity.startToken) {
        throw new SampleError('reused', `PID ${pid} now belongs to another process; the one watched before has exited.`);
      }
      return new PsReader(identity);
    } catch (err) {
      throw toSampleError(err, pid);
    }
  }

  async read(): Promise<MemorySample> {
    const pid = this.identity.pid;
    if (this.closed) throw new SampleError('failed', `The reader for process ${pid} is closed.`);
    try {
      const time = Date.now();
      // lstart rides along so PID reuse between two samples is noticed.
      const result = await run('ps', ['-o', 'rss=,vsz=,%cpu=,lstart=', '-p', String(pid)]);
      const line = result.stdout.trim();
      if (!line) throw new SampleError('exited', `Process ${pid} has exited.`);
      const fields = line.split(/\s+/);
      const start = fields.slice(3).join(' ');
      if (start !== this.identity.startToken.replace(/\s+/g, ' ')) {
        throw new SampleError('exited', `Process ${pid} has exited (its PID now belongs to another process).`);
      }
      const memory = parsePsMemory(fields.slice(0, 3).join(' '));
      if (!memory) throw new SampleError('exited', `Process ${pid} has exited.`);
      return { time, ...memory };
    } catch (err) {
      throw toSampleError(err, pid);
    }
  }

  close(): void {
    this.closed = true;
  }
}
