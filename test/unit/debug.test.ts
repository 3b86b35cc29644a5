import * as assert from 'assert';
import { DapObserver } from '../../src/core/debug/dapObserver';
import { callFreeOSMemory, chooseThread, DapRequest, hintFor } from '../../src/core/debug/delveCall';
import { findDelveChild, parseDlvTargetList, pidFromAttachConfiguration, pidFromJsDebugSessionName, sameProgram } from '../../src/core/debug/pidFallbacks';
import { chooseMethod, DebuggerRoute, ReleaseSettings } from '../../src/core/release/freeOSMemory';

// Recorded from Delve 1.27.2 (dlv dap) launching a program and stopping at a breakpoint.
const DELVE_LAUNCH = [
  { seq: 1, type: 'response', request_seq: 1, success: true, command: 'initialize', body: {} },
  { seq: 2, type: 'event', event: 'output', body: { category: 'stdout', output: 'Building /src/debugtarget\n' } },
  { seq: 3, type: 'event', event: 'process', body: { name: '/tmp/__debug_bin', systemProcessId: 6726, isLocalProcess: true, startMethod: 'launch' } },
  { seq: 4, type: 'event', event: 'initialized' },
  { seq: 9, type: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1, allThreadsStopped: true, hitBreakpointIds: [1] } },
];

describe('debug sessions', () => {
  describe('DapObserver', () => {
    it('finds the PID in the process event and follows stop and continue', () => {
      const o = new DapObserver();
      const changes = DELVE_LAUNCH.flatMap((m) => o.didSend(m));
      assert.deepStrictEqual(changes, [
        { kind: 'pid', pid: 6726, name: '/tmp/__debug_bin', isLocal: true },
        { kind: 'stopped', reason: 'breakpoint', threadId: 1 },
      ]);
      assert.ok(o.stopped);
      // Delve answers `continue` without a `continued` event: the response says it.
      assert.deepStrictEqual(o.willReceive({ seq: 10, type: 'request', command: 'continue', arguments: { threadId: 1 } }), []);
      assert.deepStrictEqual(o.didSend({ seq: 15, type: 'response', request_seq: 10, success: true, command: 'continue', body: { allThreadsContinued: true } }), [{ kind: 'continued' }]);
      assert.ok(!o.stopped);
    });

    it('ignores a failed continue, other responses and junk', () => {
      const o = new DapObserver();
      o.didSend(DELVE_LAUNCH[4]);
      o.willReceive({ seq: 5, type: 'request', command: 'next' });
      assert.deepStrictEqual(o.didSend({ seq: 6, type: 'response', request_seq: 5, success: false, command: 'next' }), []);
      assert.deepStrictEqual(o.didSend({ seq: 7, type: 'response', request_seq: 99, success: true, command: 'threads' }), []);
      for (const junk of [null, 'x', {}, { type: 'event', event: 'process', body: { systemProcessId: 'nope' } }]) assert.deepStrictEqual(o.didSend(junk), []);
      assert.ok(o.stopped);
    });

    it('reports the end once', () => {
      const o = new DapObserver();
      assert.deepStrictEqual(o.didSend({ seq: 1, type: 'event', event: 'terminated' }), [{ kind: 'ended', reason: 'terminated' }]);
      assert.deepStrictEqual(o.didSend({ seq: 2, type: 'event', event: 'exited', body: { exitCode: 0 } }), []);
    });
  });

  describe('PID fallbacks', () => {
    it('reads processId of attach configurations only', () => {
      assert.strictEqual(pidFromAttachConfiguration({ request: 'attach', processId: 4242 }), 4242);
      assert.strictEqual(pidFromAttachConfiguration({ request: 'attach', processId: '4242' }), 4242);
      assert.strictEqual(pidFromAttachConfiguration({ request: 'attach', processId: '${command:pickProcess}' }), undefined);
      assert.strictEqual(pidFromAttachConfiguration({ request: 'launch', processId: 4242 }), undefined);
    });

    it("reads js-debug's [PID] only for js-debug sessions", () => {
      assert.strictEqual(pidFromJsDebugSessionName('pwa-node', 'server.js [31337]'), 31337);
      assert.strictEqual(pidFromJsDebugSessionName('go', 'server [31337]'), undefined);
      assert.strictEqual(pidFromJsDebugSessionName('pwa-node', 'Launch Program'), undefined);
    });

    it('parses dlv target list', () => {
      assert.strictEqual(parseDlvTargetList('*\t6726\t/tmp/__debug_bin_exp\n'), 6726);
      assert.strictEqual(parseDlvTargetList(' \t100\t/a\n*\t200\t/b\n'), 200);
      assert.strictEqual(parseDlvTargetList('error'), undefined);
    });

    it('finds the child of dlv, refusing to guess between strangers', () => {
      const ps = [
        { pid: 10, ppid: 1, name: 'code', commandLine: 'code' },
        { pid: 20, ppid: 10, name: 'dlv', commandLine: 'dlv dap --listen=127.0.0.1:0' },
        { pid: 21, ppid: 20, name: '__debug_bin123', commandLine: '/ws/__debug_bin123 -x' },
      ];
      assert.strictEqual(findDelveChild(ps), 21);
      const two = [...ps, { pid: 30, ppid: 1, name: 'dlv', commandLine: 'dlv dap' }, { pid: 31, ppid: 30, name: 'other', commandLine: '/bin/other' }];
      assert.strictEqual(findDelveChild(two), 21, 'Delve’s own build wins');
      const ambiguous = [...two, { pid: 32, ppid: 30, name: '__debug_bin9', commandLine: '/x/__debug_bin9' }];
      assert.strictEqual(findDelveChild(ambiguous), undefined);
      assert.strictEqual(findDelveChild(ambiguous, undefined, new Set([21])), 32, 'PIDs of other sessions are excluded');
    });
  });

  it("checks the local process is the program the adapter named (a remote dlv's PIDs are not ours)", () => {
    const debuggee = { name: '__debug_bin12345', executable: '/ws/__debug_bin1234567', commandLine: '/ws/__debug_bin1234567 -flag' };
    assert.ok(sameProgram('/ws/__debug_bin1234567', debuggee));
    assert.ok(sameProgram('/elsewhere/__debug_bin1234567', debuggee), 'the same binary name is enough');
    assert.ok(sameProgram('/remote/__debug_bin1234567', { name: '__debug_bin1234', commandLine: '' }), 'comm is cut at 15 characters');
    assert.ok(!sameProgram('/remote/__debug_bin1234567', { name: 'kthreadd', commandLine: '' }));
    assert.ok(!sameProgram('/srv/server', { name: 'sleep', executable: '/usr/bin/sleep', commandLine: 'sleep 30' }));
  });

  describe('calling FreeOSMemory through Delve', () => {
    const threads = [
      { id: 17, name: '[Go 17] runtime.goexit' },
      { id: 1, name: '* [Go 1] main.tick (Thread 6726)' },
      { id: 5, name: '[Go 5] net.(*netFD).accept' },
    ];

    it('picks a goroutine running on an OS thread', () => {
      assert.strictEqual(chooseThread(threads, 1)?.id, 1);
      assert.strictEqual(chooseThread(threads, 17)?.id, 1, 'a parked goroutine cannot take the call');
      assert.strictEqual(chooseThread([{ id: 2, name: '[Go 2] runtime.gopark' }]), undefined);
    });

    it('sends threads, stackTrace, evaluate with the top frame', async () => {
      const sent: [string, unknown][] = [];
      const request: DapRequest = async (command, args) => {
        sent.push([command, args]);
        if (command === 'threads') return { threads };
        if (command === 'stackTrace') return { stackFrames: [{ id: 1000 }] };
        return { result: '' };
      };
      assert.deepStrictEqual(await callFreeOSMemory(request, 1), { ok: true });
      assert.deepStrictEqual(sent, [
        ['threads', {}],
        ['stackTrace', { threadId: 1, startFrame: 0, levels: 1 }],
        ['evaluate', { expression: 'call debug.FreeOSMemory()', frameId: 1000, context: 'repl' }],
      ]);
    });

    it("passes Delve's refusal on as is, with a hint", async () => {
      const request: DapRequest = async (command) => {
        if (command === 'threads') return { threads };
        if (command === 'stackTrace') return { stackFrames: [{ id: 1 }] };
        throw new Error('Unable to evaluate expression: could not find symbol value for debug');
      };
      const result = await callFreeOSMemory(request, 1);
      assert.deepStrictEqual(result, {
        ok: false,
        message: 'Unable to evaluate expression: could not find symbol value for debug',
        hint: 'The program does not link runtime/debug: import it (and call debug.FreeOSMemory somewhere), or use the HTTP hook.',
      });
      assert.match(hintFor('can not call optimized function main.f when regabi is in use'), /-N -l/);
      assert.match(hintFor('selected goroutine not running'), /breakpoint/);
    });
  });

  describe('choosing how to free memory', () => {
    const running = { pid: 7, name: 'server', paused: false };
    const stopped = { ...running, paused: true };
    const delve: DebuggerRoute = { sessionName: 'Launch', canCall: true, call: async () => ({ ok: true }) };
    const settings = (method: ReleaseSettings['method'], url = ''): ReleaseSettings => ({ method, url, signal: 'SIGUSR1', allowedHosts: [] });
    const method = (r: ReturnType<typeof chooseMethod>) => ('method' in r ? r.method : `refused: ${r.refusal.message}`);

    it('auto: the debugger while stopped in Delve, the hook otherwise', () => {
      assert.strictEqual(method(chooseMethod(stopped, settings('auto', 'http://127.0.0.1:1/x'), delve)), 'debugger');
      assert.strictEqual(method(chooseMethod(running, settings('auto', 'http://127.0.0.1:1/x'), delve)), 'http');
      assert.match(method(chooseMethod(running, settings('auto'), undefined)), /refused: No way to call FreeOSMemory.*hook.*breakpoint.*signal/);
    });

    it('never sends HTTP to a stopped program', () => {
      assert.match(method(chooseMethod(stopped, settings('http', 'http://127.0.0.1:1/x'), undefined)), /refused: .*stopped in the debugger.*cannot answer HTTP/);
      assert.match(method(chooseMethod(stopped, settings('auto', 'http://127.0.0.1:1/x'), undefined)), /refused: .*cannot answer HTTP/);
    });

    it('debugger: needs a Delve session and a stopped program', () => {
      assert.match(method(chooseMethod(stopped, settings('debugger'), undefined)), /not in a debug session/);
      assert.match(method(chooseMethod(stopped, settings('debugger'), { ...delve, canCall: false })), /is not Delve/);
      assert.match(method(chooseMethod(running, settings('debugger'), delve)), /Stop the program at a breakpoint first/);
      assert.strictEqual(method(chooseMethod(stopped, settings('debugger'), delve)), 'debugger');
    });
  });
});
