/**
 * The memory cgroup reader on the real kernel (cgroup v1, as on this machine): a Go program in a
 * 64 MiB cgroup made for the test, grown on request until the kernel's OOM killer ends it. The
 * kernel's own files (hierarchical_memory_limit, oom_control) and /proc/PID/status are the yardsticks.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { describeHeadroom } from '../../src/core/cgroup/headroom';
import { NO_LIMIT_FROM, parseKeyedCounts, parseLimit } from '../../src/core/cgroup/parsers';
import { CgroupFigures, CgroupReader, openCgroupReader } from '../../src/core/cgroup/reader';
import { MiB } from '../../src/shared/format';
import { readProcStatus } from '../../src/core/sampling/procfs';
import { createTestCgroup, ownV1MemoryCgroup, removeAllTestCgroups, startInCgroup, TestCgroup, v1MemoryCgroupUnavailable } from '../support/cgroupV1';
import { buildFixture, RunningProgram, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';

const LIMIT = 64 * MiB;
const READY = /grower listening on 127\.0\.0\.1:(\d+) pid (\d+)/;

/** Asks the grower to allocate and touch `mib` more MiB; resolves with the MiB it holds. */
function grow(port: number, mib: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/grow?mib=${mib}`, method: 'POST', timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        const held = /^held (\d+)/.exec(body);
        if (res.statusCode === 200 && held) resolve(Number(held[1]));
        else reject(new Error(`grow answered ${res.statusCode}: ${body}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('grow timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The limit the kernel itself applies to a v1 cgroup, ancestors included (memory.stat). */
function kernelHierarchicalLimit(cgroup: { read(name: string): string }): number | undefined {
  const line = /^hierarchical_memory_limit (\d+)$/m.exec(cgroup.read('memory.stat'));
  assert.ok(line, 'v1 memory.stat has hierarchical_memory_limit');
  const value = parseLimit(line[1]);
  assert.ok(value, `a limit: ${line[1]}`);
  return value.kind === 'bytes' ? value.bytes : undefined;
}

function open(pid: number): CgroupReader {
  const opened = openCgroupReader(pid);
  assert.ok(opened.ok, `openCgroupReader(${pid}): ${opened.ok ? '' : opened.reason}`);
  return opened.reader;
}

const exitOf = (program: RunningProgram) => ({ code: program.proc.exitCode, signal: program.proc.signalCode });

describe('memory cgroup reader on the real kernel (cgroup v1)', function () {
  let grower: string;
  const readers: CgroupReader[] = [];

  before(async function () {
    const unavailable = v1MemoryCgroupUnavailable();
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`);
      this.skip();
    }
    grower = await buildFixture('grower');
  });

  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await stopAll();
    await removeAllTestCgroups();
  });

  /** A grower started inside `cgroup`, with the port it listens on. */
  async function startGrower(cgroup: TestCgroup): Promise<RunningProgram & { port: number }> {
    const program = await cgroup.start(grower, [], READY);
    // The shell exec'd the grower, so the PID we watch is the one that entered the cgroup.
    assert.strictEqual(Number(program.match![2]), program.pid);
    return Object.assign(program, { port: Number(program.match![1]) });
  }

  it('reads a 64 MiB cgroup: its limit, where the limit is, usage against RSS', async () => {
    const cgroup = createTestCgroup(LIMIT);
    const program = await startGrower(cgroup);
    assert.strictEqual(await grow(program.port, 24), 24);
    const reader = open(program.pid);
    readers.push(reader);
    const f = reader.read();
    const status = readProcStatus(program.pid);
    console.log(`      figures: ${JSON.stringify(f)}; RSS ${status.vmRss} (anon ${status.rssAnon}, file ${status.rssFile})`);

    assert.strictEqual(f.version, 1);
    assert.strictEqual(f.path, cgroup.path);
    assert.strictEqual(f.limit, LIMIT);
    assert.strictEqual(f.limitPath, cgroup.path, 'the limit is on the test cgroup itself');
    assert.strictEqual(f.limit, kernelHierarchicalLimit(cgroup), "the kernel's own effective limit agrees");
    assert.strictEqual(f.high, undefined, 'v1 has no memory.high');
    // Usage and RSS count different things: the grower's anonymous pages are charged here, but the
    // binary's file pages (most of RssFile) were read into the page cache by the build and stay
    // charged to whoever read them first; usage adds kernel memory (page tables, slab) and up to
    // 64 pages per CPU of per-CPU charge batches. So: at least the anonymous RSS (less 1 MiB of
    // slack), at most the whole RSS plus 4 MiB of kernel memory.
    assert.ok(f.usage >= status.rssAnon! - MiB, `usage ${f.usage} ≥ RssAnon ${status.rssAnon} − 1 MiB`);
    assert.ok(f.usage <= status.vmRss! + 4 * MiB, `usage ${f.usage} ≤ RSS ${status.vmRss} + 4 MiB`);
    assert.ok(f.usage >= 24 * MiB, 'the 24 MiB the grower holds are charged here');
    assert.ok(f.inactiveFile !== undefined && f.workingSet <= f.usage && f.workingSet === f.usage - f.inactiveFile);
    assert.ok(f.peak !== undefined && f.peak >= f.usage, `peak ${f.peak} ≥ usage ${f.usage} read just before it`);
    assert.strictEqual(f.oomKills, 0);
    const headroom = describeHeadroom(f);
    console.log(`      ${headroom}`);
    assert.match(headroom ?? '', /^working set \d+\.\d MiB of 64\.0 MiB limit, (3\d|4\d) %$/);
  });

  it('sees the OOM kill: SIGKILL, oom_kill up by one, a peak the samples missed', async () => {
    const cgroup = createTestCgroup(LIMIT);
    const program = await startGrower(cgroup);
    // Opened before anything grows: the same reader must see the kill after the process is gone.
    const reader = open(program.pid);
    readers.push(reader);
    const before = reader.read();
    assert.strictEqual(before.oomKills, 0);

    const samples: CgroupFigures[] = [];
    let held = 0;
    for (let step = 0; step < 20; step++) {
      try {
        held = await grow(program.port, 8);
      } catch {
        break; // The connection died with the process.
      }
      samples.push(reader.read());
    }
    await waitFor(() => program.proc.exitCode !== null || program.proc.signalCode !== null, 'the grower to die', 10_000);
    assert.deepStrictEqual(exitOf(program), { code: null, signal: 'SIGKILL' }, `the grower was killed, held ${held} MiB: ${program.output()}`);

    const after = reader.read();
    const last = samples[samples.length - 1];
    console.log(`      killed after holding ${held} MiB; last sample usage ${last?.usage}, peak after ${after.peak}, oom kills ${before.oomKills} → ${after.oomKills}`);
    assert.strictEqual(after.oomKills, before.oomKills! + 1, 'the reader opened before the kill counts it');
    // The same from the cgroup's own files, read afresh.
    assert.strictEqual(parseKeyedCounts(cgroup.read('memory.oom_control')).get('oom_kill'), 1);
    assert.ok(after.peak! >= 48 * MiB && after.peak! <= LIMIT + MiB, `peak ${after.peak} between 48 MiB and the limit`);
    assert.ok(last === undefined || after.peak! >= last.usage, 'the peak covers every sample');
    assert.ok(held >= 40 && held < 64, `killed near the limit (held ${held} MiB)`);
    assert.ok(after.usage < 8 * MiB, `the dead process's memory is uncharged (usage ${after.usage})`);
  });

  it('reads our own unlimited cgroup; says why not for a process in the root of the hierarchy', async () => {
    const own = ownV1MemoryCgroup();
    assert.ok(typeof own !== 'string', String(own));
    const reader = open(process.pid);
    readers.push(reader);
    const f = reader.read();
    console.log(`      own cgroup: ${JSON.stringify(f)}`);
    assert.strictEqual(f.version, 1);
    assert.strictEqual(f.path, own.path);
    const kernelLimit = kernelHierarchicalLimit({ read: (name) => fs.readFileSync(path.join(own.dir, name), 'utf8') });
    assert.strictEqual(f.limit, kernelLimit, 'no limit here iff the kernel applies none');
    assert.strictEqual(f.limitPath === undefined, kernelLimit === undefined);
    if (kernelLimit === undefined) assert.strictEqual(describeHeadroom(f), undefined);
    assert.ok(f.usage > 0 && f.workingSet <= f.usage);

    // An unlimited child cgroup (the limit file reads ≈ 2^63) is no limit either.
    const child = createTestCgroup();
    assert.ok(Number(child.read('memory.limit_in_bytes')) >= NO_LIMIT_FROM);
    const sleeper = await child.start('sleep', ['60']);
    await waitFor(() => fs.readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8').includes(child.path), 'sleep to enter its cgroup');
    const childReader = open(sleeper.pid);
    readers.push(childReader);
    assert.strictEqual(childReader.read().limit, kernelLimit);

    // A process we move into the root of the hierarchy: the root's usage is the whole machine's.
    const inRoot = await startInCgroup(path.join(own.mountDir, 'cgroup.procs'), 'sleep', ['60']);
    const rootPath = own.mountRoot;
    await waitFor(() => fs.readFileSync(`/proc/${inRoot.pid}/cgroup`, 'utf8').includes(`:memory:${rootPath}\n`), 'sleep to enter the root cgroup');
    const opened = openCgroupReader(inRoot.pid);
    assert.ok(!opened.ok);
    console.log(`      root: ${opened.reason}`);
    assert.match(opened.reason, /root of the hierarchy/);
  });

  it('a reader whose cgroup was removed says so; a gone process is refused', async () => {
    const cgroup = createTestCgroup(LIMIT);
    const sleeper = await cgroup.start('sleep', ['60']);
    await waitFor(() => fs.readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8').includes(cgroup.path), 'sleep to enter its cgroup');
    const reader = open(sleeper.pid);
    readers.push(reader);
    assert.strictEqual(reader.read().limit, LIMIT);
    await sleeper.stop();
    assert.strictEqual(reader.read().limit, LIMIT, 'the cgroup outlives its process');
    const gone = openCgroupReader(sleeper.pid);
    assert.deepStrictEqual(gone, { ok: false, reason: `No process ${sleeper.pid}.` });
    await cgroup.remove();
    assert.throws(() => reader.read(), /can no longer be read \(ENODEV\)/);
    reader.close();
    assert.throws(() => reader.read(), /is closed/);
  });

  it('costs a few µs per read with the files kept open', async () => {
    const cgroup = createTestCgroup(LIMIT);
    const program = await startGrower(cgroup);
    await grow(program.port, 16);
    const reader = open(program.pid);
    readers.push(reader);
    const perRead: number[] = [];
    for (let i = 0; i < 2000; i++) reader.read(); // warm-up (JIT)
    for (let round = 0; round < 7; round++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 5000; i++) reader.read();
      perRead.push(Number(process.hrtime.bigint() - start) / 1000 / 5000);
    }
    perRead.sort((a, b) => a - b);
    const depth = cgroup.path.split('/').filter(Boolean).length;
    console.log(`      one read() of a v1 cgroup ${depth} levels below the root (${depth + 1} limit files): median ${perRead[3].toFixed(1)} µs (rounds ${perRead.map((x) => x.toFixed(1)).join(', ')})`);
    // Far below the 50 ms a synchronous task may take; generous for a loaded 2-core machine.
    assert.ok(perRead[3] < 500, `${perRead[3]} µs per read`);
  });
});
