/**
 * Run as an unprivileged user by the permission tests: tries to watch (and FreeOSMemory) a PID
 * that belongs to root, and prints what happened as one JSON line.
 *   node permissionProbe.js attach|signal PID
 */
import { freeOSMemory } from '../../src/core/release/freeOSMemory';
import { SampleError } from '../../src/core/sampling/types';
import { WatchRegistry } from '../../src/core/watchRegistry';

async function main(): Promise<void> {
  const [what, pidText] = process.argv.slice(2);
  const registry = new WatchRegistry({ intervalMs: 1000, windowMs: 60_000 });
  try {
    const { watch } = await registry.attach(Number(pidText));
    if (what === 'attach') {
      console.log(JSON.stringify({ ok: true, watches: registry.list().length }));
      return;
    }
    const report = await freeOSMemory(watch, { method: 'signal', url: '', signal: 'SIGUSR1', allowedHosts: [] }, { confirm: async () => true });
    console.log(JSON.stringify({ ok: report.triggered, message: report.message }));
  } catch (err) {
    const e = err as SampleError;
    console.log(JSON.stringify({ ok: false, reason: e.reason, message: e.message, watches: registry.list().length }));
  } finally {
    registry.dispose();
  }
}

void main();
