import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { partition } from '../../src/shared/partition';
import { listeningRows, loopbackHost, parseLsofListeners, parseNetstatListeners, parseProcNetTcp } from '../../src/core/goruntime/listeners';
import * as os from 'os';
import { parseAgentSnapshot, parseExpvar, parseGopsMemStats, parsePprofMemStats } from '../../src/core/goruntime/parsers';
import { GO_FIGURES_MIN_INTERVAL_MS } from '../../src/core/goruntime/sources';
import { goFiguresReadDue } from '../../src/core/goruntime/tracker';

/** Answers recorded from the fixture programs (test/fixtures/sources, -spike 50) with Go 1.26. */
const recorded = (name: string) => fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', name), 'utf8');

describe('Go figures', () => {
  it('reads expvar memstats and never keeps cmdline', () => {
    const text = recorded('expvar-debug-vars.json');
    assert.ok(text.includes('"cmdline"'), 'the recording has a cmdline…');
    const f = parseExpvar(text)!;
    assert.ok(!JSON.stringify(f).includes('fx-expvar'), '…which the figures do not carry');
    const m = JSON.parse(text).memstats;
    assert.strictEqual(f.heapObjects, m.HeapAlloc);
    assert.strictEqual(f.heapFree, m.HeapIdle - m.HeapReleased);
    assert.strictEqual(f.heapUnused, m.HeapInuse - m.HeapAlloc);
    assert.strictEqual(f.stacks, m.StackSys);
    assert.strictEqual(f.total, m.Sys);
    assert.strictEqual(f.gcCycles, m.NumGC);
    assert.ok(f.heapFree > 40 * 2 ** 20, 'the 50 MiB spike is held as free heap');
    assert.strictEqual(parseExpvar('{"cmdline":["x"]}'), undefined);
    assert.strictEqual(parseExpvar('not json'), undefined);
  });

  it("reads the MemStats block that ends pprof's heap profile", () => {
    const f = parsePprofMemStats(recorded('pprof-heap-debug1.txt'))!;
    assert.strictEqual(f.heapObjects, 230048);
    assert.strictEqual(f.heapReleased, 5087232);
    assert.strictEqual(f.heapFree, 57556992 - 5087232);
    assert.strictEqual(f.stacks, 327680, '"# Stack = inuse / sys"');
    assert.strictEqual(f.total, 63088920);
    assert.strictEqual(f.gcCycles, 5);
    assert.strictEqual(f.gcGoal, 4194304);
    assert.strictEqual(parsePprofMemStats('heap profile: 0: 0 [0: 0] @ heap/1048576\n'), undefined);
  });

  it("reads gops' memory statistics", () => {
    const f = parseGopsMemStats(recorded('gops-memstats.txt'))!;
    assert.strictEqual(f.heapObjects, 135960);
    assert.strictEqual(f.heapFree, 57851904 - 5120000);
    assert.strictEqual(f.stacks, 327680);
    assert.strictEqual(f.total, 63342872);
    assert.strictEqual(f.gcCycles, 5);
    assert.strictEqual(f.gcGoal, 4194304);
    // The runtime's own account leaves something besides heap and stacks (metadata and the like).
    assert.ok(partition({ rss: f.total, ...f, goTotal: f.total }).otherRuntime > 0);
  });

  it("reads the agent's snapshot and checks its protocol", () => {
    const snapshot = {
      protocol: 1,
      pid: 42,
      goVersion: 'go1.26.8',
      gogc: 100,
      memoryLimit: 0, // replaced below by Go's math.MaxInt64, as the agent writes it
      memory: { heapObjects: 10, heapUnused: 2, heapFree: 30, heapReleased: 40, heapStacks: 5, osStacks: 1, metadata: 3, profiling: 0, other: 4, total: 95 },
      gc: { cycles: 7, forcedCycles: 1, heapGoal: 64, heapLive: 8 },
    };
    // JSON.parse reads 9223372036854775807 as 2^63: "no limit" all the same.
    const parsed = parseAgentSnapshot(JSON.stringify(snapshot).replace('"memoryLimit":0', '"memoryLimit":9223372036854775807'))!;
    assert.strictEqual(parsed.pid, 42);
    assert.deepStrictEqual(parsed.figures, {
      heapObjects: 10,
      heapUnused: 2,
      heapFree: 30,
      heapReleased: 40,
      stacks: 6,
      total: 95,
      gcCycles: 7,
      gcGoal: 64,
      heapLive: 8,
      memoryLimit: 0, // known to be unset
      gogc: 100,
      goVersion: 'go1.26.8',
      processRss: undefined,
      goroutines: undefined,
    });
    assert.strictEqual(parseAgentSnapshot(JSON.stringify({ ...snapshot, protocol: 2 })), undefined);
    assert.strictEqual(parseAgentSnapshot(JSON.stringify({ ...snapshot, memory: { heapObjects: 'x' } })), undefined);
    assert.strictEqual(parseAgentSnapshot(JSON.stringify({ ...snapshot, memoryLimit: 1 << 30 }))!.figures.memoryLimit, 1 << 30);
    // The process, its cgroup, its goroutines and its name, each checked; a bad field is dropped with a reason.
    const problems: string[] = [];
    const full = parseAgentSnapshot(
      JSON.stringify({
        ...snapshot,
        program: 'svc',
        goroutines: 12,
        process: { rss: 5000, vsz: 9000 },
        cgroup: { version: 2, path: '/kubepods/pod1/c1', usage: 400, limit: 512, limitPath: '/kubepods/pod1', inactiveFile: 100, workingSet: 300, peak: 510, oomKills: 1, high: -3 },
      }),
      problems,
    )!;
    assert.strictEqual(full.program, 'svc');
    assert.strictEqual(full.figures.goroutines, 12);
    assert.deepStrictEqual(full.process, { rss: 5000, vsz: 9000, shared: undefined });
    assert.deepStrictEqual(full.cgroup, { version: 2, path: '/kubepods/pod1/c1', usage: 400, workingSet: 300, limit: 512, limitPath: '/kubepods/pod1', high: undefined, inactiveFile: 100, peak: 510, oomKills: 1 });
    assert.deepStrictEqual(problems, ['dropped cgroup.high = -3']);
    assert.strictEqual(parseAgentSnapshot(JSON.stringify({ ...snapshot, program: 'a\u001b[31mred', cgroup: { version: 3 } }), problems)!.program, undefined);
    assert.strictEqual(problems[1], 'dropped the cgroup: not a cgroup object');
  });

  it('reads a table of any size in 64 KiB steps: rows cut across a step, and the last one without its newline, are read whole', async () => {
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
    const row = (sl: number, port: number, state: string, inode: number) =>
      `${String(sl).padStart(6)}: 0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 0100007F:D2F0 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;
    // ≈ 2 MiB: 14,000 connections; a listener in every row that a 64 KiB step cuts in two, and the last.
    const lines = [header];
    const listening = new Map<string, number>();
    let offset = header.length + 1;
    for (let i = 0; i < 14_000; i++) {
      const length = row(i, 1024 + i, '01', 100_000 + i).length + 1;
      const isListener = Math.floor(offset / 65_536) !== Math.floor((offset + length - 1) / 65_536) || i === 13_999;
      lines.push(row(i, 1024 + i, isListener ? '0A' : '01', 100_000 + i));
      if (isListener) listening.set(String(100_000 + i), 1024 + i);
      offset += length;
    }
    assert.ok(listening.size > 25, `${listening.size} listeners`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-tcp-'));
    try {
      const file = path.join(dir, 'tcp');
      fs.writeFileSync(file, lines.join('\n')); // no newline after the last row
      const rows = await listeningRows(file, false);
      assert.deepStrictEqual(
        [...rows].map(([inode, l]) => [inode, l.port, l.address]),
        [...listening].map(([inode, port]) => [inode, port, '127.0.0.1']),
      );
      assert.strictEqual((await listeningRows(path.join(dir, 'missing'), false)).size, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the LISTEN sockets of the inodes a process owns in /proc/net/tcp{,6}', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F4A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0',
      '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0',
      '   2: 0100007F:1F4A 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 20 4 30 10 -1',
      '   3: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    assert.deepStrictEqual(parseProcNetTcp(tcp, new Set(['111', '222']), false), [
      { address: '127.0.0.1', port: 8010 },
      { address: '0.0.0.0', port: 22 },
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0',
      '   1: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0',
      '   2: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    assert.deepStrictEqual(parseProcNetTcp(tcp6, new Set(['444', '555', '666']), true), [
      { address: '::1', port: 8080 },
      { address: '::', port: 8081 },
      { address: '::ffff:127.0.0.1', port: 8082 },
    ]);
  });

  it('probes a listener only through loopback', () => {
    assert.strictEqual(loopbackHost({ address: '127.0.0.1', port: 1 }), '127.0.0.1');
    assert.strictEqual(loopbackHost({ address: '0.0.0.0', port: 1 }), '127.0.0.1');
    assert.strictEqual(loopbackHost({ address: '::', port: 1 }), '[::1]');
    assert.strictEqual(loopbackHost({ address: '::1', port: 1 }), '[::1]');
    assert.strictEqual(loopbackHost({ address: '10.0.0.5', port: 1 }), undefined, 'a listener on another interface only is not ours to reach');
    assert.strictEqual(loopbackHost({ address: 'fe80::1', port: 1 }), undefined);
  });

  it("reads netstat's listening sockets of one PID (Windows)", () => {
    // The shape of `netstat -ano -p TCP` and `-p TCPv6` on Windows 11 (a German one localises the state).
    const v4 = [
      '',
      'Active Connections',
      '',
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1000',
      '  TCP    127.0.0.1:6060         0.0.0.0:0              LISTENING       4321',
      '  TCP    127.0.0.1:6060         127.0.0.1:51000        ESTABLISHED     4321',
      '  TCP    127.0.0.1:7070         0.0.0.0:0              ABHÖREN         4321',
      '  TCP    127.0.0.1:99999        0.0.0.0:0              LISTENING       4321',
      '  TCP    127.0.0.1:8080         0.0.0.0:0              LISTENING       43210',
    ].join('\r\n');
    const v6 = '  TCP    [::1]:6061             [::]:0                 LISTENING       4321\r\n  TCP    [::]:445               [::]:0                 LISTENING       4\r\n';
    assert.deepStrictEqual(parseNetstatListeners(v4, 4321), [
      { address: '127.0.0.1', port: 6060 },
      { address: '127.0.0.1', port: 7070 },
    ]);
    assert.deepStrictEqual(parseNetstatListeners(v6, 4321), [{ address: '::1', port: 6061 }]);
  });

  it("reads lsof's listening sockets (macOS)", () => {
    assert.deepStrictEqual(parseLsofListeners('p123\nf5\nn127.0.0.1:8010\nf6\nn*:9090\nf7\nn[::1]:7070\n'), [
      { address: '127.0.0.1', port: 8010 },
      { address: '0.0.0.0', port: 9090 },
      { address: '::1', port: 7070 },
    ]);
  });
});

describe('how often the Go figures are read', () => {
  it('at most once per interval of the source, whatever the sample rate (one stop-the-world a second for expvar)', () => {
    for (const sampleMs of [100, 250, 500, 1000]) {
      let lastRead = -Infinity;
      const reads: number[] = [];
      // Samples as timers give them: each a little late.
      for (let t = 0; t <= 60_000; t += sampleMs + 3) {
        if (goFiguresReadDue(t, lastRead, GO_FIGURES_MIN_INTERVAL_MS)) {
          reads.push(t);
          lastRead = t;
        }
      }
      const gaps = reads.slice(1).map((t, i) => t - reads[i]);
      assert.ok(Math.min(...gaps) >= GO_FIGURES_MIN_INTERVAL_MS - 50, `${sampleMs} ms samples: a gap of ${Math.min(...gaps)} ms`);
      // … and a sample a few ms early does not skip a whole interval.
      assert.ok(Math.max(...gaps) <= GO_FIGURES_MIN_INTERVAL_MS + sampleMs + 3, `${sampleMs} ms samples: a gap of ${Math.max(...gaps)} ms`);
    }
    assert.strictEqual(goFiguresReadDue(1000, 0, 1000), true);
    assert.strictEqual(goFiguresReadDue(990, 0, 1000), true, '10 ms early is on time');
    assert.strictEqual(goFiguresReadDue(900, 0, 1000), false);
  });
});
