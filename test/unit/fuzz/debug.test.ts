/**
 * Fuzz: what a debug session tells us — DAP messages from the adapter (DapObserver), the answer
 * to `dlv target list`, a js-debug session's name, an attach configuration from launch.json, and
 * the adapter's answers when Delve is asked to call FreeOSMemory. All of it comes from an adapter
 * or a workspace. Seeds are the messages recorded from Delve 1.27.2 (debug.test.ts).
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import { DapObserver, SessionChange } from '../../../src/core/debug/dapObserver';
import { callFreeOSMemory, chooseThread, hintFor } from '../../../src/core/debug/delveCall';
import { findDelveChild, parseDlvTargetList, pidFromAttachConfiguration, pidFromJsDebugSessionName, sameProgram } from '../../../src/core/debug/pidFallbacks';
import { anyString, assertPid, fuzz, fuzzAsync, hostileJson, mutatedText, returns } from './support';

const FAMILY = 'debug adapter';

// Recorded from Delve 1.27.2 (dlv dap) launching a program and stopping at a breakpoint (debug.test.ts).
const DELVE_LAUNCH: readonly Record<string, unknown>[] = [
  { seq: 1, type: 'response', request_seq: 1, success: true, command: 'initialize', body: {} },
  { seq: 2, type: 'event', event: 'output', body: { category: 'stdout', output: 'Building /src/debugtarget\n' } },
  { seq: 3, type: 'event', event: 'process', body: { name: '/tmp/__debug_bin', systemProcessId: 6726, isLocalProcess: true, startMethod: 'launch' } },
  { seq: 4, type: 'event', event: 'initialized' },
  { seq: 9, type: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1, allThreadsStopped: true, hitBreakpointIds: [1] } },
  { seq: 10, type: 'request', command: 'continue', arguments: { threadId: 1 } },
  { seq: 15, type: 'response', request_seq: 10, success: true, command: 'continue', body: { allThreadsContinued: true } },
  { seq: 16, type: 'event', event: 'terminated' },
];
/** `dlv target list` as Delve answers it (debug.test.ts). */
const DLV_TARGETS = ['*\t6726\t/tmp/__debug_bin_exp\n', ' \t100\t/a\n*\t200\t/b\n'];

/** A message an adapter may send: a recorded one with members replaced, or anything at all. */
const hostile = fc.oneof(hostileJson(undefined), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 20 }));
const mutatedMessage = fc.tuple(fc.constantFrom(...DELVE_LAUNCH), fc.array(fc.tuple(fc.constantFrom('seq', 'type', 'event', 'command', 'request_seq', 'success', 'body', 'body.systemProcessId', 'body.name', 'body.isLocalProcess', 'body.reason', 'body.threadId'), hostile), { maxLength: 3 })).map(([m, changes]) => {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  for (const [where, value] of changes) {
    const [outer, inner] = where.split('.');
    if (inner === undefined) out[outer] = value;
    else if (out[outer] !== null && typeof out[outer] === 'object') (out[outer] as Record<string, unknown>)[inner] = value;
  }
  return out;
});
const anyMessage = fc.oneof({ weight: 4, arbitrary: mutatedMessage }, { weight: 1, arbitrary: fc.anything() });

/** What the session follower relies on: a PID is a PID; the rest has the declared types. */
function assertChangeShape(c: SessionChange): void {
  assert.ok(['pid', 'stopped', 'continued', 'ended'].includes(c.kind), c.kind);
  if (c.kind === 'pid') {
    assertPid('pid', c.pid);
    assert.strictEqual(typeof c.isLocal, 'boolean');
  }
}

/** The full declared type (see the BUG below): name a string, reason a string, threadId a number. */
function assertChangeTypes(c: SessionChange): void {
  assertChangeShape(c);
  if (c.kind === 'pid' && c.name !== undefined) assert.strictEqual(typeof c.name, 'string', `name is ${JSON.stringify(c.name)}`);
  if (c.kind === 'stopped') {
    assert.strictEqual(typeof c.reason, 'string', `reason is ${JSON.stringify(c.reason)}`);
    if (c.threadId !== undefined) assert.strictEqual(typeof c.threadId, 'number', `threadId is ${JSON.stringify(c.threadId)}`);
  }
}

describe('fuzz: debug adapter', () => {
  describe('DapObserver', () => {
    it('never throws on any message sequence; a PID it reports is a PID', () => {
      fuzz(FAMILY, 1200, fc.property(fc.array(fc.tuple(fc.boolean(), anyMessage), { maxLength: 10 }), (steps) => {
        const o = new DapObserver();
        for (const [fromEditor, m] of steps) {
          const changes = returns('DapObserver', () => (fromEditor ? o.willReceive(m) : o.didSend(m)));
          changes.forEach(assertChangeShape);
        }
      }));
    });

    // Was a bug (found by this suite): the adapter's `name` and `reason` were passed on unchecked,
    // and DebugFollower's sameProgram(name) threw a TypeError for { systemProcessId: 1, name: false }
    // — an unhandled rejection, and the debuggee never watched. Now a non-string is no name.
    it('reports names and reasons only as strings', () => {
      new DapObserver().didSend({ type: 'event', event: 'process', body: { systemProcessId: 1, name: 0 } }).forEach(assertChangeTypes);
      fuzz(FAMILY, 1000, fc.property(fc.array(mutatedMessage, { maxLength: 8 }), (messages) => {
        const o = new DapObserver();
        for (const m of messages) o.didSend(m).forEach(assertChangeTypes);
      }));
    });
  });

  describe('parseDlvTargetList and pidFromJsDebugSessionName', () => {
    it('never throw: mutations of Delve\'s answer, random text, session names', () => {
      fuzz(FAMILY, 1500, fc.property(fc.oneof(mutatedText(DLV_TARGETS), anyString(100)), (text) => {
        const pid = returns('parseDlvTargetList', () => parseDlvTargetList(text));
        if (pid !== undefined) assert.strictEqual(typeof pid, 'number');
      }));
      const type = fc.constantFrom('pwa-node', 'node', 'chrome', 'node-terminal', 'extensionHost', 'go', '');
      fuzz(FAMILY, 1000, fc.property(type, fc.oneof(mutatedText(['server.js [31337]', 'Launch Program']), anyString(60)), (t, name) => {
        const pid = returns('pidFromJsDebugSessionName', () => pidFromJsDebugSessionName(t, name));
        if (pid !== undefined) assert.strictEqual(typeof pid, 'number');
      }));
    });

    it('read back the PID of the current target', () => {
      const line = fc.record({ pid: fc.integer({ min: 1, max: 2 ** 31 }), cmd: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }).filter((s) => !s.includes('\n') && s.trim().length > 0) });
      fuzz(FAMILY, 500, fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), fc.nat(), (lines, pick) => {
        const current = pick % lines.length;
        const text = lines.map((l, i) => `${i === current ? '*' : ' '}\t${l.pid}\t${l.cmd}`).join('\n') + '\n';
        assert.strictEqual(returns('parseDlvTargetList', () => parseDlvTargetList(text)), lines[current].pid);
      }));
    });

    // Was a bug (found by this suite): any digit run was a PID — "0", 2^63, 2^53 + 1 (shrunk from
    // recorded answers). Now only a real PID (1 to 2^32 − 1) is.
    it('return only real PIDs', () => {
      assert.strictEqual(parseDlvTargetList('*\t0\tx'), undefined);
      assert.strictEqual(pidFromJsDebugSessionName('node', '[0]'), undefined);
      assert.strictEqual(parseDlvTargetList('*\t9223372036854775807\t/tmp/__debug_bin_exp\r\n'), undefined);
      fuzz(FAMILY, 500, fc.property(fc.stringMatching(/^\d{1,40}$/), (digits) => {
        const a = parseDlvTargetList(`*\t${digits}\tx`);
        const b = pidFromJsDebugSessionName('node', `x [${digits}]`);
        if (a !== undefined) assertPid('dlv target', a);
        if (b !== undefined) assertPid('js-debug', b);
      }));
    });
  });

  describe('pidFromAttachConfiguration', () => {
    it('gives a PID or nothing, whatever launch.json holds', () => {
      const config = fc.record({ request: fc.oneof(fc.constant('attach'), hostile), processId: fc.oneof(hostile, fc.stringMatching(/^\s*\d{1,20}\s*$/), fc.integer(), fc.constantFrom('${command:pickProcess}', ' 42 ', '0042')) }, { requiredKeys: [] });
      fuzz(FAMILY, 1500, fc.property(config, (c) => {
        const pid = returns('pidFromAttachConfiguration', () => pidFromAttachConfiguration(c));
        if (pid !== undefined) assertPid('processId', pid);
        const raw = typeof c.processId === 'string' && /^\d+$/.test(c.processId.trim()) ? Number(c.processId) : c.processId;
        const expected = c.request === 'attach' && typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0 ? raw : undefined;
        assert.strictEqual(pid, expected);
      }));
    });
  });

  describe('sameProgram and findDelveChild', () => {
    const row = fc.record({ pid: fc.integer({ min: 1, max: 50 }), ppid: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }), name: fc.oneof(fc.constantFrom('dlv', 'dlv-dap', '__debug_bin', 'server'), anyString(20)), commandLine: fc.oneof(fc.constantFrom('/tmp/__debug_bin', 'dlv dap'), anyString(40)) });
    it('never throw; a child found is one of the candidates', () => {
      fuzz(FAMILY, 1000, fc.property(fc.array(row, { maxLength: 10 }), fc.option(anyString(30), { nil: undefined }), (rows, program) => {
        const pid = returns('findDelveChild', () => findDelveChild(rows, program));
        if (pid !== undefined) assert.ok(rows.some((r) => r.pid === pid && r.ppid !== undefined && rows.some((d) => d.pid === r.ppid && /^dlv(-dap)?$/.test(d.name))));
      }));
      fuzz(FAMILY, 800, fc.property(anyString(60), row, fc.option(anyString(30), { nil: undefined }), (adapterName, local, executable) => {
        assert.strictEqual(typeof returns('sameProgram', () => sameProgram(adapterName, { ...local, executable })), 'boolean');
      }));
    });
  });

  describe('callFreeOSMemory (Delve\'s answers)', () => {
    it('never rejects, whatever the adapter answers; a failure carries a message and a hint', async () => {
      const threads = fc.oneof(fc.array(fc.record({ id: fc.oneof(fc.nat(), hostile), name: fc.oneof(fc.constantFrom('* Goroutine 1 main.main (Thread 7)', 'Goroutine 2 (Thread 8)', 'Goroutine 3'), anyString(40), hostile) }, { requiredKeys: [] }), { maxLength: 5 }), hostile);
      const answer = fc.oneof(
        fc.record({ kind: fc.constant('body' as const), threads, frames: fc.oneof(fc.array(fc.record({ id: fc.oneof(fc.nat(), hostile) }), { maxLength: 2 }), hostile) }),
        fc.record({ kind: fc.constant('reject' as const), at: fc.constantFrom('threads', 'stackTrace', 'evaluate'), message: fc.oneof(fc.constantFrom('could not find symbol value for debug', 'optimized function', 'not running', 'not supported'), anyString(60)) }),
      );
      await fuzzAsync(FAMILY, 500, fc.asyncProperty(answer, fc.option(fc.nat(), { nil: undefined }), async (a, stopped) => {
        // The adapter's side of the conversation: what VS Code's customRequest resolves or rejects with.
        const request = async (command: string): Promise<unknown> => {
          if (a.kind === 'reject' && a.at === command) throw new Error(a.message);
          if (command === 'threads') return a.kind === 'body' ? { threads: a.threads } : { threads: [{ id: 1, name: '* G (Thread 1)' }] };
          if (command === 'stackTrace') return a.kind === 'body' ? { stackFrames: a.frames } : { stackFrames: [{ id: 1 }] };
          return {};
        };
        const result = await callFreeOSMemory(request, stopped);
        if (!result.ok) {
          assert.strictEqual(typeof result.message, 'string');
          assert.strictEqual(typeof result.hint, 'string');
        }
      }));
      fuzz(FAMILY, 300, fc.property(anyString(200), (m) => assert.strictEqual(typeof returns('hintFor', () => hintFor(m)), 'string')));
      fuzz(FAMILY, 300, fc.property(fc.array(fc.record({ id: fc.nat(), name: anyString(30) }), { maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }), (ts, stopped) => {
        const t = returns('chooseThread', () => chooseThread(ts, stopped));
        if (t) assert.ok(ts.includes(t) && /\(Thread \d+\)/.test(t.name));
      }));
    });
  });
});
