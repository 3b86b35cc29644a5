/**
 * Real Delve (`dlv dap`), spoken to over DAP from Node, no VS Code: the PID comes from the real
 * message stream (and from each fallback), and debug.FreeOSMemory() is called in a stopped Go
 * program — which works where runtime/debug is linked and fails with Delve's own words where not.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapObserver, SessionChange } from '../../src/core/debug/dapObserver';
import { callFreeOSMemory, DapRequest } from '../../src/core/debug/delveCall';
import { findDelveChild, parseDlvTargetList, pidFromAttachConfiguration } from '../../src/core/debug/pidFallbacks';
import { MiB } from '../../src/shared/format';
import { freeOSMemory } from '../../src/core/release/freeOSMemory';
import { listProcesses } from '../../src/core/processes/processInfo';
import { readProcStat } from '../../src/core/sampling/procfs';
import { WatchRegistry } from '../../src/core/watchRegistry';
import { tools } from '../../scripts/harness/tools';
import { DapClient, DelveServer, errorText, startDelve } from '../support/dapClient';
import { REPO_ROOT, startProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** The line marked "BREAKPOINT" in a fixture's main.go. */
export function breakpointLine(fixture: string): number {
  const lines = fs.readFileSync(path.join(FIXTURES, fixture, 'main.go'), 'utf8').split('\n');
  return lines.findIndex((l) => l.includes('// BREAKPOINT')) + 1;
}

describe('real Delve over DAP', function () {
  this.timeout(180_000);
  let dlv: DelveServer | undefined;
  let client: DapClient | undefined;
  let registry: WatchRegistry;
  let work: string;

  before(function () {
    if (!fs.existsSync(tools().dlv)) throw new Error(`Delve is not installed at ${tools().dlv}: run scripts/install-tools.sh`);
  });

  beforeEach(() => {
    registry = new WatchRegistry({ intervalMs: 200, windowMs: 60_000 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-delve-'));
  });

  afterEach(async () => {
    registry.dispose();
    if (client) await client.request('disconnect', { terminateDebuggee: true }, 10_000).catch(() => undefined);
    client?.close();
    await dlv?.stop();
    client = undefined;
    dlv = undefined;
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Starts dlv dap, connects, initializes; every message from Delve also goes through a DapObserver. */
  async function connect(): Promise<{ c: DapClient; changes: SessionChange[]; observer: DapObserver }> {
    dlv = await startDelve(tools().dlv, FIXTURES);
    client = await DapClient.connect(dlv.port);
    const observer = new DapObserver();
    const changes: SessionChange[] = [];
    client.onMessage((m) => changes.push(...observer.didSend(m)));
    client.onRequest((m) => changes.push(...observer.willReceive(m)));
    await client.call('initialize', { adapterID: 'go', clientID: 'memory-watch-tests', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    return { c: client, changes, observer };
  }

  /** DAP requests the way VS Code's session.customRequest makes them: the body, or an Error with Delve's message. */
  function requester(c: DapClient, observer: DapObserver): DapRequest {
    void observer;
    return async (command, args) => {
      const response = await c.request(command, args);
      if (!response.success) throw new Error(errorText(response));
      return response.body;
    };
  }

  async function launchToBreakpoint(fixture: string) {
    const { c, changes, observer } = await connect();
    const program = path.join(FIXTURES, fixture);
    await c.call('launch', { request: 'launch', mode: 'debug', program, output: path.join(work, `__debug_bin_${fixture}`) });
    await c.waitForEvent('initialized');
    await c.call('setBreakpoints', { source: { path: path.join(program, 'main.go') }, breakpoints: [{ line: breakpointLine(fixture) }] });
    await c.call('configurationDone', {});
    const stopped = await c.waitForEvent<DebugProtocol.StoppedEvent>('stopped', undefined, 120_000);
    return { c, changes, observer, stopped };
  }

  it('launch: the PID from the process event is the debuggee, as the fallbacks also say', async () => {
    const { c, changes, observer, stopped } = await launchToBreakpoint('debugtarget');
    const pidChange = changes.find((x): x is Extract<SessionChange, { kind: 'pid' }> => x.kind === 'pid');
    assert.ok(pidChange, 'Delve sent a process event');
    const pid = pidChange.pid;
    assert.strictEqual(readProcStat(pid).ppid, dlv!.proc.pid, 'the debuggee is the child of dlv');
    assert.ok(observer.stopped);
    assert.strictEqual(stopped.body.reason, 'breakpoint');
    // Fallback: the child of the dlv process.
    assert.strictEqual(findDelveChild(await listProcesses()), pid);
    // Fallback: `dlv target list` while stopped.
    const trace = (await c.call<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: stopped.body.threadId, levels: 1 })).body;
    const list = await c.call<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'dlv target list', frameId: trace.stackFrames[0].id, context: 'repl' });
    assert.strictEqual(parseDlvTargetList(list.body.result), pid);
  });

  it('stopped at a breakpoint: FreeOSMemory through Delve releases the held heap', async () => {
    const { c, changes, observer, stopped } = await launchToBreakpoint('debugtarget');
    const pid = (changes.find((x) => x.kind === 'pid') as { pid: number }).pid;
    const { watch } = await registry.attach(pid);
    watch.setPaused(true);
    const before = (await watch.nextSample()).rss;
    assert.ok(before > 150 * MiB, `the spike is held: RSS ${before / MiB} MiB`);
    const request = requester(c, observer);
    const report = await freeOSMemory(
      watch,
      { method: 'auto', url: '', signal: 'SIGUSR1', allowedHosts: [] },
      {
        confirm: async () => false,
        debugger: {
          sessionName: 'test',
          canCall: true,
          call: async () => {
            const r = await callFreeOSMemory(request, stopped.body.threadId);
            return r.ok ? { ok: true } : { ok: false, message: `${r.message} ${r.hint}` };
          },
        },
      },
    );
    assert.strictEqual(report.method, 'debugger', 'auto picks the debugger while stopped in Delve');
    assert.ok(report.triggered, report.message);
    assert.ok(report.released! > 100 * MiB, report.message);
    assert.ok(observer.stopped, 'the program is stopped again after the call');
    // Continue: the observer sees it run again (Delve sends no `continued` event).
    await request('continue', { threadId: stopped.body.threadId });
    await waitFor(() => changes.some((x) => x.kind === 'continued'), 'the continue to be seen');
  });

  it("without runtime/debug linked: Delve's refusal, as is, with a hint", async () => {
    const { c, observer, stopped } = await launchToBreakpoint('nodebugtarget');
    const result = await callFreeOSMemory(requester(c, observer), stopped.body.threadId);
    assert.strictEqual(result.ok, false);
    assert.ok(!result.ok);
    assert.strictEqual(result.message, 'Unable to evaluate expression: could not find symbol debug.FreeOSMemory', 'as Delve 1.27 says it');
    assert.match(result.hint, /import it/);
  });

  it('attach: no process event; the configuration and `dlv target list` give the PID', async () => {
    const bin = path.join(work, 'debugtarget');
    execFileSync(process.env.MEMORY_WATCH_GO || 'go', ['build', '-gcflags=all=-N -l', '-o', bin, './debugtarget'], { cwd: FIXTURES });
    const target = await startProgram(bin, [], /listening on/);
    const { c, changes } = await connect();
    const configuration = { request: 'attach', mode: 'local', processId: target.pid };
    await c.call('attach', configuration);
    await c.waitForEvent('initialized');
    assert.strictEqual(pidFromAttachConfiguration(configuration), target.pid);
    // Stop it at a breakpoint (a plain Pause of an attached program did not answer here).
    const source = { path: path.join(FIXTURES, 'debugtarget', 'main.go') };
    await c.call('setBreakpoints', { source, breakpoints: [{ line: breakpointLine('debugtarget') }] });
    await c.call('configurationDone', {});
    await c.waitForEvent<DebugProtocol.StoppedEvent>('stopped');
    assert.ok(!changes.some((x) => x.kind === 'pid'), 'Delve sends no process event when attaching');
    const list = await c.call<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'dlv target list', context: 'repl' });
    assert.strictEqual(parseDlvTargetList(list.body.result), target.pid);
    await c.request('disconnect', { terminateDebuggee: false });
  });
});
