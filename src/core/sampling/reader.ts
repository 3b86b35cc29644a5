/** Picks the memory reader for this platform. */
import { PsReader } from './darwin';
import { ProcfsReader } from './procfs';
import { MemoryReader, ProcessIdentity } from './types';
import { PidusageReader } from './windows';

/**
 * Opens a reader bound to `pid`. Rejects with a SampleError saying why (no such process,
 * permission, or — given `expected` — the PID now belongs to another process).
 */
export async function openMemoryReader(pid: number, expected?: ProcessIdentity, platform = process.platform): Promise<MemoryReader> {
  switch (platform) {
    case 'linux':
      return ProcfsReader.open(pid, expected);
    case 'win32':
      return PidusageReader.open(pid);
    default:
      // macOS and the BSDs have ps with the same -o keywords.
      return PsReader.open(pid, expected);
  }
}
