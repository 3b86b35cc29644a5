/**
 * Loaded with `node --require` into code-server's processes by the cost benchmark (NODE_OPTIONS);
 * it acts only in the extension host and only for the benchmark:
 *  - times Memory Watch's activation: loading dist/main.js and the activate() call (which loads the
 *    bundle, dist/extension.js, with its V8 code cache: src/main.ts), written
 *    to $MEMORY_WATCH_BENCH_PROBE_DIR/activation.json;
 *  - takes a V8 CPU profile of the extension host between two SIGUSR2 (profile-N.cpuprofile);
 *  - or, when a SIGUSR2 finds a `command` file ("timer on" / "timer off"), runs an empty 1 Hz
 *    timer: what one wake-up a second costs in this host (the cost bench's reference case).
 * Plain Node, no imports from the extension: it runs inside VS Code's process.
 */
import * as fs from 'fs';
import * as inspector from 'inspector';
import * as path from 'path';

const probeDir = process.env.MEMORY_WATCH_BENCH_PROBE_DIR;
const isExtensionHost = process.argv.some((arg) => arg.includes('--type=extensionHost'));

/** Where the module loader is patched: Node's CommonJS loader, as VS Code uses for extensions. */
interface ModuleLoader {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

if (probeDir && !isExtensionHost && !process.execArgv.includes(__filename)) {
  // VS Code's server drops NODE_OPTIONS from the extension host's environment but forks it with
  // the server's own execArgv: passing the probe on that way is what gets it into the host.
  process.execArgv.push('--require', __filename);
}

/** CPU time of this thread in ms (Node 23+), else of the whole process: wall time alone counts preemption too. */
function cpuMs(): number {
  const usage = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.() ?? process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

if (probeDir && isExtensionHost) {
  const write = (name: string, value: unknown) => fs.writeFileSync(path.join(probeDir, name), JSON.stringify(value, null, 2));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as ModuleLoader;
  const load = Module._load;
  Module._load = function (request: string, parent: unknown, isMain: boolean) {
    if (typeof request !== 'string' || !/memorywatch\.memory-watch[^/\\]*[/\\]dist[/\\]main(\.js)?$/.test(request)) return load.call(this, request, parent, isMain);
    const loadStart = performance.now();
    const loadCpuStart = cpuMs();
    const exports = load.call(this, request, parent, isMain) as { activate?: (...args: unknown[]) => unknown };
    const loadMs = performance.now() - loadStart;
    const loadCpuMs = cpuMs() - loadCpuStart;
    const activate = exports.activate;
    if (typeof activate !== 'function') return exports;
    // A copy with a timed activate (the bundle's exports are getters that cannot be reassigned).
    return {
      ...exports,
      activate(...args: unknown[]) {
        const profiling = process.env.MEMORY_WATCH_BENCH_PROFILE_ACTIVATION === '1' ? startActivationProfile() : undefined;
        const start = performance.now();
        const cpuStart = cpuMs();
        const atUptimeMs = process.uptime() * 1000;
        const result = activate(...args);
        const activateMs = performance.now() - start;
        const activateCpuMs = cpuMs() - cpuStart;
        profiling?.();
        const record = (resolvedMs?: number) => write('activation.json', { extensionHostPid: process.pid, loadMs, loadCpuMs, activateMs, activateCpuMs, resolvedMs, atUptimeMs });
        if (result instanceof Promise) result.then(() => record(performance.now() - start), () => record(NaN));
        else record();
        return result;
      },
    };
  };

  /**
   * With MEMORY_WATCH_BENCH_PROFILE_ACTIVATION=1: a V8 CPU profile (50 µs sampling) of the activate()
   * call, written as activation-<pid>.cpuprofile — a look at where activation goes (the profiler
   * adds to the times recorded with it). A same-thread inspector session answers synchronously.
   */
  function startActivationProfile(): () => void {
    const session = new inspector.Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 50 });
    session.post('Profiler.start');
    return () =>
      session.post('Profiler.stop', (err, result) => {
        if (!err) write(`activation-${process.pid}.cpuprofile`, result.profile);
        session.disconnect();
      });
  }

  // SIGUSR2 with a command file: the command (then the file goes). Without: it starts a profile,
  // the next one stops it and writes it.
  let session: inspector.Session | undefined;
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  process.on('SIGUSR2', () => {
    const commandFile = path.join(probeDir, 'command');
    let command: string | undefined;
    try {
      command = fs.readFileSync(commandFile, 'utf8').trim();
      fs.rmSync(commandFile);
    } catch {
      command = undefined;
    }
    if (command === 'timer on') {
      timer ??= setInterval(() => undefined, 1000);
      return;
    }
    if (command === 'timer off') {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    if (!session) {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () => session!.post('Profiler.setSamplingInterval', { interval: 200 }, () => session!.post('Profiler.start')));
      return;
    }
    const current = session;
    session = undefined;
    current.post('Profiler.stop', (err, result) => {
      const file = `profile-${++count}.cpuprofile`;
      if (err) write(`${file}.error`, { message: err.message });
      else write(file, result.profile);
      current.disconnect();
    });
  });
}
