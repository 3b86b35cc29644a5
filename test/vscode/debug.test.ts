/**
 * F5 on a Go program, with a real Delve behind a debug type: the debuggee is watched with nothing
 * to configure, the pause at a breakpoint shows on the graph and stops HTTP, FreeOSMemory goes
 * through Delve, continuing ends the pause, the sidebar view draws, and stopping ends the watch.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ReleaseReport } from '../../src/core/release/measure';
import type { MemoryWatchApi, WatchInfo } from '../../src/extension';
import { DelveServer, startDelve } from '../support/dapClient';
import { REPO_ROOT, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

const MiB = 1024 * 1024;
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

function breakpointAt(fixture: string): vscode.SourceBreakpoint {
  const file = path.join(FIXTURES, fixture, 'main.go');
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('// BREAKPOINT'));
  return new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(line, 0)));
}

/** The environment dlv needs to build the program: Go on PATH and the runner's caches. */
function goEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const go = process.env.MEMORY_WATCH_GO;
  if (go) env.PATH = `${path.dirname(go)}:${process.env.PATH}`;
  for (const key of ['GOCACHE', 'GOPATH', 'GOMODCACHE']) {
    const value = process.env[`MEMORY_WATCH_${key}`];
    if (value) env[key] = value;
  }
  return env;
}

describe('following the debugger (real Delve)', function () {
  this.timeout(180_000);
  let api: MemoryWatchApi;
  let dlv: DelveServer | undefined;
  let work: string;

  before(async () => {
    api = await getApi();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-debug-'));
  });

  afterEach(async () => {
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await dlv?.stop();
    dlv = undefined;
    await setSetting('freeOSMemory.method', undefined);
    await setSetting('freeOSMemory.url', undefined);
    await detachAll(api);
    await stopAll();
  });

  after(() => work && fs.rmSync(work, { recursive: true, force: true }));

  const servers: DelveServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
  });

  async function startSession(fixture: string, options: { wrapper?: string[]; name?: string } = {}): Promise<vscode.DebugSession> {
    dlv = await startDelve(process.env.MEMORY_WATCH_DLV!, FIXTURES, goEnv(), options.wrapper);
    servers.push(dlv);
    vscode.debug.addBreakpoints([breakpointAt(fixture)]);
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const sub = vscode.debug.onDidStartDebugSession((s) => {
        sub.dispose();
        resolve(s);
      });
    });
    const ok = await vscode.debug.startDebugging(undefined, {
      type: 'memorywatch-test-dlv',
      request: 'launch',
      name: options.name ?? `Debug ${fixture}`,
      mode: 'debug',
      program: path.join(FIXTURES, fixture),
      output: path.join(work, `__debug_bin_${options.name ?? fixture}`.replace(/\W/g, '_')),
      dlvPort: dlv.port,
    });
    assert.ok(ok, 'startDebugging');
    return started;
  }

  const debuggee = () => api.watches().find((w) => w.name.startsWith('__debug_bin'));

  it('watches the debuggee by itself; a breakpoint pauses HTTP and shows on the graph; FreeOSMemory goes through Delve', async () => {
    const session = await startSession('debugtarget');
    const watch = await waitFor(debuggee, 'the debuggee to be watched without any command', 120_000);
    await waitFor(() => api.statusBar().visible && /RSS \d/.test(api.statusBar().text), 'RSS in the status bar');
    assert.match(api.statusBar().tooltip, new RegExp(`PID ${watch.pid}`));

    // Stopped at the breakpoint: marked as a pause, and HTTP is not tried.
    await waitFor(() => debuggee()?.paused, 'the breakpoint to pause the watch', 60_000);
    const pause = api.series(watch.id)!.events.find((e) => e.kind === 'pause');
    assert.ok(pause?.band && pause.endTime === undefined, 'an open pause band on the graph');
    await setSetting('freeOSMemory.method', 'http');
    await setSetting('freeOSMemory.url', 'http://127.0.0.1:9/debug/freeosmemory');
    const http = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory');
    assert.strictEqual(http.triggered, false);
    assert.match(http.message, /stopped in the debugger, so it cannot answer HTTP/);

    // "auto" goes through Delve while stopped: no code change in the program.
    await setSetting('freeOSMemory.method', 'auto');
    const before = debuggee()!.latest!.rss;
    assert.ok(before > 150 * MiB, `the spike is held: ${before / MiB} MiB`);
    const report = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory');
    assert.strictEqual(report.method, 'debugger', report.message);
    assert.ok(report.triggered && report.released! > 100 * MiB, report.message);

    // The sidebar view draws the same watch.
    await vscode.commands.executeCommand('memoryWatch.debugView.focus');
    await waitFor(() => (api.debugView().rendered?.watchId === watch.id ? api.debugView().rendered : undefined), 'the debug view to draw', 20_000);

    // Continue (without the breakpoint): the pause band closes.
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const threads = (await session.customRequest('threads')) as { threads: { id: number }[] };
    await session.customRequest('continue', { threadId: threads.threads[0].id });
    await waitFor(() => debuggee()?.paused === false, 'the pause to end');
    assert.ok(api.series(watch.id)!.events.find((e) => e.kind === 'pause')?.endTime, 'the band is closed');

    // Stop: the watch ends, its data stays, marked.
    await vscode.debug.stopDebugging(session);
    await waitFor(() => debuggee()?.state !== 'running', 'the watch to end with the session', 30_000);
    const ended = debuggee() as WatchInfo;
    assert.ok(api.series(ended.id)!.time.length > 5, 'the graph keeps the data');
    await waitFor(() => api.series(ended.id)!.events.some((e) => e.label === 'session ended'), 'the "session ended" marker');
  });

  it("shows Delve's refusal as is when the program does not link runtime/debug", async () => {
    await startSession('nodebugtarget');
    await waitFor(() => debuggee()?.paused, 'the breakpoint', 120_000);
    const report = await vscode.commands.executeCommand<ReleaseReport>('memoryWatch.freeOSMemory');
    assert.strictEqual(report.triggered, false);
    assert.match(report.message, /^Delve: .*could not find symbol debug\.FreeOSMemory\. The program does not link runtime\/debug/);
  });

  it('watches each session; the status bar follows the active one', async () => {
    const first = await startSession('debugtarget', { name: 'client' });
    const client = await waitFor(() => api.watches().find((w) => w.name === '__debug_bin_client'), 'the first debuggee', 120_000);
    const second = await startSession('debugtarget', { name: 'server' });
    const server = await waitFor(() => api.watches().find((w) => w.name === '__debug_bin_server'), 'the second debuggee', 120_000);
    assert.strictEqual(api.watches().filter((w) => w.name.startsWith('__debug_bin') && w.state === 'running').length, 2, 'each session has its own watch');
    const debuggeeOf = (session: vscode.DebugSession | undefined) => (session?.id === first.id ? client.pid : session?.id === second.id ? server.pid : undefined);
    // Whichever session VS Code makes active (the one that stopped last), the status bar shows it…
    await waitFor(() => api.watches().find((w) => w.current)?.pid === debuggeeOf(vscode.debug.activeDebugSession), 'the status bar to follow the active session');
    // …and when that session ends, it follows the one that is active then.
    const active = vscode.debug.activeDebugSession!;
    const other = active.id === first.id ? second : first;
    await vscode.debug.stopDebugging(active);
    await waitFor(() => vscode.debug.activeDebugSession?.id === other.id, 'the other session to become active');
    await waitFor(() => api.watches().find((w) => w.current)?.pid === debuggeeOf(other), 'the status bar to follow it');
    await vscode.debug.stopDebugging(other);
  });

  it("does not take a containerized Delve's PID at face value", async function () {
    // Delve in its own PID namespace, like in a container: its process event carries the PID inside
    // the namespace (and isLocalProcess: true all the same), which here is some other process.
    if (process.getuid?.() !== 0) this.skip(); // a PID namespace needs root; CI runs as root
    let eventPid: number | undefined;
    const tracker = vscode.debug.registerDebugAdapterTrackerFactory('memorywatch-test-dlv', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: { systemProcessId?: number } }) => {
          if (m.type === 'event' && m.event === 'process') eventPid = m.body?.systemProcessId;
        },
      }),
    });
    try {
      await startSession('debugtarget', { wrapper: ['unshare', '--pid', '--fork', '--mount-proc'], name: 'container' });
      const watch = await waitFor(() => api.watches().find((w) => w.name === '__debug_bin_container'), 'the debuggee, found as the child of dlv', 120_000);
      assert.ok(eventPid !== undefined, 'Delve sent a process event');
      assert.notStrictEqual(watch.pid, eventPid, 'the namespace PID was not taken');
      assert.ok(!api.watches().some((w) => w.pid === eventPid), 'whatever runs here as that PID is not watched');
      const parent = Number(fs.readFileSync(`/proc/${watch.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      assert.ok(fs.readFileSync(`/proc/${parent}/cmdline`, 'utf8').includes('dlv'), 'the watched process is the child of that dlv');
    } finally {
      tracker.dispose();
    }
  });

  it('lists the debug session first in the attach picker', async () => {
    await startSession('debugtarget');
    const watch = await waitFor(debuggee, 'the debuggee', 120_000);
    await detachAll(api);
    const picked = vscode.commands.executeCommand('memoryWatch.attach');
    // The picker shows debug sessions before it has listed processes, so its first row is the
    // session as soon as it is open; accepting goes to the workbench after the picker's own
    // messages, in order.
    await new Promise((r) => setImmediate(r));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const info = (await picked) as WatchInfo | undefined;
    assert.strictEqual(info?.pid, watch.pid);
  });
});
