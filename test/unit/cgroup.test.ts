/**
 * The memory-cgroup parsers and reader on recorded trees (test/unit/recorded/cgroup/README.md):
 * this machine's real v1 files, an OOM kill, and v2 hosts and container views written from the
 * kernel's documented formats. openCgroupReader runs end to end with procRoot/fsRoot pointed there.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeHeadroom } from '../../src/core/cgroup/headroom';
import {
  findKeyedCount,
  inactiveFileFromStat,
  memoryMembership,
  oomKillsFromEvents,
  parseByteCount,
  parseKeyedCounts,
  parseLimit,
  parseMountInfo,
  parseProcCgroup,
  segmentsBelow,
  unescapeMountField,
} from '../../src/core/cgroup/parsers';
import { CgroupFigures, CgroupReader, openCgroupReader, SHARED_READING_MS } from '../../src/core/cgroup/reader';
import { MiB } from '../../src/shared/format';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', 'cgroup');
const recorded = (...parts: string[]) => fs.readFileSync(path.join(RECORDED, ...parts), 'utf8');
const roots = (tree: string, base = RECORDED) => ({ procRoot: path.join(base, tree, 'proc'), fsRoot: path.join(base, tree) });

const THIS_MACHINE = 'v1-hybrid-this-machine';
const OWN = '/process_api/c2c8740afe26433f5e84ee96b06a3ab1';
const TEST_CGROUP = `${OWN}/mw-manual-22874`;
const DOCKER = '/docker/4e2a9c0b7f13d5e8a6b2c4d9e1f0a3b5c7d9e2f4a6b8c0d1e3f5a7b9c2d4e6f8';
const SCOPE = '/limited.slice/docker-4e2a9c0b7f13d5e8a6b2c4d9e1f0a3b5c7d9e2f4a6b8c0d1e3f5a7b9c2d4e6f8.scope';

/** Opens, reads once and closes; fails the test with the reason when the open fails. */
function readOnce(tree: string, pid: number, base = RECORDED): CgroupFigures {
  const opened = openCgroupReader(pid, roots(tree, base));
  assert.ok(opened.ok, opened.ok ? '' : opened.reason);
  try {
    return opened.reader.read();
  } finally {
    opened.reader.close();
  }
}

function reasonFor(tree: string, pid: number): string {
  const opened = openCgroupReader(pid, roots(tree));
  if (opened.ok) {
    opened.reader.close();
    assert.fail(`expected no reader for ${pid} in ${tree}`);
  }
  return opened.reason;
}

describe('cgroup parsers', () => {
  it("parses this machine's mountinfo: v1 memory on its own mount, cgroup2 beside it", () => {
    const mounts = parseMountInfo(recorded(THIS_MACHINE, 'proc', 'self', 'mountinfo'));
    assert.strictEqual(mounts.length, 20);
    const memory = mounts.filter((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
    assert.deepStrictEqual(memory, [{ mountId: 35, parentId: 31, root: '/', mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', source: 'cgroup', superOptions: ['rw', 'memory'] }]);
    assert.deepStrictEqual(
      mounts.filter((m) => m.fsType === 'cgroup2').map((m) => m.mountPoint),
      ['/sys/fs/cgroup/unified'],
    );
  });

  it('unescapes \\040 and friends in mountinfo, and skips lines that are not mountinfo', () => {
    const mounts = parseMountInfo(recorded('v1-container-view', 'proc', 'self', 'mountinfo'));
    const bound = mounts.find((m) => m.mountId === 1191)!;
    assert.strictEqual(bound.root, `${DOCKER}/batch jobs`);
    assert.strictEqual(bound.mountPoint, '/run/batch jobs/memory');
    assert.strictEqual(mounts.find((m) => m.mountId === 1190)!.mountPoint, '/srv/batch data');
    // "cpu,cpuacct" in the mount point is not a controller list; the super options are.
    assert.deepStrictEqual(mounts.find((m) => m.mountId === 1187)!.superOptions, ['rw', 'cpu', 'cpuacct']);
    assert.strictEqual(unescapeMountField('a\\011b\\012c\\134d'), 'a\tb\nc\\d');
    assert.strictEqual(parseMountInfo(recorded('v2-malformed', 'proc', 'self', 'mountinfo')).length, 2);
    assert.deepStrictEqual(parseMountInfo('1 2 0:1 / /x rw - cgroup2\n36 35 98:0 relative /mnt rw - ext3 /dev/root rw\n'), []);
  });

  it("parses this machine's /proc/PID/cgroup and picks the v1 memory line over the v2 one", () => {
    const memberships = parseProcCgroup(recorded(THIS_MACHINE, 'proc', '26844', 'cgroup'));
    assert.strictEqual(memberships.length, 10);
    assert.deepStrictEqual(memberships.find((m) => m.hierarchyId === 0), { hierarchyId: 0, controllers: [], path: '/', deleted: false });
    assert.deepStrictEqual(memoryMembership(memberships), {
      version: 1,
      membership: { hierarchyId: 4, controllers: ['memory'], path: TEST_CGROUP, deleted: false },
    });
    assert.strictEqual(memoryMembership(parseProcCgroup(recorded('v2-no-limit-old-kernel', 'proc', '2048', 'cgroup')))?.version, 2);
    assert.strictEqual(memoryMembership(parseProcCgroup('garbage\n')), undefined);
  });

  it('keeps colons in cgroup paths, marks deleted v2 cgroups, finds memory among joined controllers', () => {
    assert.deepStrictEqual(parseProcCgroup('7:cpu,memory:/a:b (x)\n0::/gone (deleted)\nx:memory:/y\n3:memory:relative\n'), [
      { hierarchyId: 7, controllers: ['cpu', 'memory'], path: '/a:b (x)', deleted: false },
      { hierarchyId: 0, controllers: [], path: '/gone', deleted: true },
    ]);
    // A named hierarchy or a controller whose name merely contains "memory" is not it.
    assert.strictEqual(memoryMembership(parseProcCgroup('1:name=memory:/a\n2:memory_x:/b\n'))?.version, undefined);
  });

  it('places a cgroup below a mount root segment by segment', () => {
    assert.deepStrictEqual(segmentsBelow('/docker/abc/batch jobs', '/docker/abc'), ['batch jobs']);
    assert.deepStrictEqual(segmentsBelow('/docker/abc', '/docker/abc'), []);
    assert.deepStrictEqual(segmentsBelow('/a/b', '/'), ['a', 'b']);
    assert.deepStrictEqual(segmentsBelow('/', '/'), []);
    assert.strictEqual(segmentsBelow('/docker/abcd', '/docker/abc'), undefined);
    assert.strictEqual(segmentsBelow('/system.slice/x', '/docker/abc'), undefined);
    assert.strictEqual(segmentsBelow('/../sibling', '/'), undefined);
    assert.strictEqual(segmentsBelow('/a/./b', '/'), undefined);
  });

  it('reads numbers strictly: whole, ≥ 0, no NaN, no exponent', () => {
    assert.strictEqual(parseByteCount(' 36270080\n'), 36270080);
    assert.strictEqual(parseByteCount('0\n'), 0);
    for (const bad of ['', '-4096', 'NaN', 'Infinity', '1e3', '0x10', '12abc', '99999999999999999999', '1 2']) {
      assert.strictEqual(parseByteCount(bad), undefined, bad);
    }
  });

  it('reads limits: "max" and v1 values ≥ 2^60 are no limit', () => {
    assert.deepStrictEqual(parseLimit('max\n'), { kind: 'none' });
    assert.deepStrictEqual(parseLimit(recorded(THIS_MACHINE, 'sys', 'fs', 'cgroup', 'memory', 'memory.limit_in_bytes')), { kind: 'none' });
    assert.deepStrictEqual(parseLimit('9223372036854775807\n'), { kind: 'none' });
    assert.deepStrictEqual(parseLimit(recorded(THIS_MACHINE, 'sys', 'fs', 'cgroup', 'memory', TEST_CGROUP, 'memory.limit_in_bytes')), { kind: 'bytes', bytes: 64 * MiB });
    assert.deepStrictEqual(parseLimit('0\n'), { kind: 'bytes', bytes: 0 });
    for (const bad of ['', 'Max', '-1', '12abc', 'Infinity', '1e18', '123456789012345678901']) assert.strictEqual(parseLimit(bad), undefined, bad);
  });

  it('reads memory.stat: v1 takes total_inactive_file, v2 inactive_file; bad values are left out', () => {
    const v1 = recorded(THIS_MACHINE, 'sys', 'fs', 'cgroup', 'memory', OWN, 'memory.stat');
    const counts = parseKeyedCounts(v1);
    assert.strictEqual(counts.get('total_inactive_file'), 13918208);
    assert.strictEqual(counts.get('rss'), 1892352);
    assert.strictEqual(counts.has('hierarchical_memory_limit'), false, 'the ~2^63 "unlimited" is not a byte count');
    assert.strictEqual(inactiveFileFromStat(v1, 1), 13918208);
    const v2 = recorded('v2-container-limit-on-parent', 'sys', 'fs', 'cgroup', SCOPE, 'memory.stat');
    assert.strictEqual(inactiveFileFromStat(v2, 2), 20 * MiB);
    assert.strictEqual(parseKeyedCounts('inactive_file NaN\nanon -1\nfile 5\n\nnokey\n').size, 1);
    assert.strictEqual(inactiveFileFromStat('anon 1\ninactive_file NaN\n', 2), undefined);
  });

  it('finds one key without matching a longer key that contains it', () => {
    const stat = 'inactive_anon 1\ntotal_inactive_file 7\ninactive_file 3\n';
    assert.strictEqual(findKeyedCount(stat, 'inactive_file'), 3);
    assert.strictEqual(findKeyedCount(stat, 'inactive_anon'), 1);
    assert.strictEqual(findKeyedCount('total_inactive_file 7', 'inactive_file'), undefined);
    assert.strictEqual(findKeyedCount('inactive_file 9', 'inactive_file'), 9, 'last line without a newline');
    assert.strictEqual(findKeyedCount('oom_kill_disable 0\nunder_oom 0\n', 'oom_kill'), undefined);
  });

  it('counts OOM kills from v1 oom_control (after a real kill) and v2 memory.events', () => {
    assert.strictEqual(oomKillsFromEvents(recorded('v1-after-oom-kill', 'memory.oom_control')), 1);
    assert.strictEqual(oomKillsFromEvents(recorded('v2-container-limit-on-parent', 'sys', 'fs', 'cgroup', SCOPE, 'memory.events')), 2);
    assert.strictEqual(oomKillsFromEvents('oom_kill_disable 0\nunder_oom 0\n'), undefined, 'before 4.13 there is no count');
    assert.strictEqual(parseByteCount(recorded('v1-after-oom-kill', 'memory.max_usage_in_bytes')), 64 * MiB + 4096, 'the peak reached the limit');
  });
});

describe('openCgroupReader on recorded trees', () => {
  it('v2 container whose limit sits on its parent slice', () => {
    const f = readOnce('v2-container-limit-on-parent', 3100);
    assert.deepStrictEqual(f, {
      version: 2,
      path: SCOPE,
      usage: 432 * MiB,
      limit: 512 * MiB,
      limitPath: '/limited.slice',
      high: 480 * MiB,
      inactiveFile: 20 * MiB,
      workingSet: 412 * MiB,
      peak: 506 * MiB,
      oomKills: 2,
    });
    assert.strictEqual(describeHeadroom(f), 'working set 412.0 MiB of 512.0 MiB limit, 80 %');
  });

  it('v2 with "max" everywhere on a kernel without memory.peak', () => {
    const f = readOnce('v2-no-limit-old-kernel', 2048);
    assert.deepStrictEqual(f, {
      version: 2,
      path: '/user.slice/user-1000.slice/session-3.scope',
      usage: 189440000,
      limit: undefined,
      limitPath: undefined,
      high: undefined,
      inactiveFile: 40 * MiB,
      workingSet: 189440000 - 40 * MiB,
      peak: undefined,
      oomKills: 0,
    });
    assert.strictEqual(describeHeadroom(f), undefined);
  });

  it('v2 root cgroup: no reader, and a reason', () => {
    assert.match(reasonFor('v2-root', 1), /process 1 \(\/\) is the root cgroup, which has no memory.current/);
  });

  it("this machine (v1 hybrid): the test cgroup's 64 MiB limit, not the cgroup2 mount", () => {
    const f = readOnce(THIS_MACHINE, 26844);
    assert.deepStrictEqual(f, {
      version: 1,
      path: TEST_CGROUP,
      usage: 36270080,
      limit: 64 * MiB,
      limitPath: TEST_CGROUP,
      high: undefined,
      inactiveFile: 0,
      workingSet: 36270080,
      peak: 36433920,
      oomKills: 0,
    });
    assert.strictEqual(describeHeadroom(f), 'working set 34.6 MiB of 64.0 MiB limit, 54 %');
    assert.match(reasonFor(THIS_MACHINE, 1), /is the root of the hierarchy/);
  });

  it('v1 container view: the mount root is the container, its limit covers a sub-cgroup named with a space', () => {
    const container = readOnce('v1-container-view', 1);
    assert.deepStrictEqual(container, {
      version: 1,
      path: DOCKER,
      usage: 192 * MiB,
      limit: 256 * MiB,
      limitPath: DOCKER,
      high: undefined,
      inactiveFile: 16 * MiB,
      workingSet: 176 * MiB,
      peak: 240123904,
      oomKills: 3,
    });
    const batch = readOnce('v1-container-view', 57);
    assert.strictEqual(batch.path, `${DOCKER}/batch jobs`);
    assert.strictEqual(batch.limit, 256 * MiB);
    assert.strictEqual(batch.limitPath, DOCKER, 'through the mount that shows the parent, not the bind mount of the child');
    assert.strictEqual(batch.workingSet, 96 * MiB);
    assert.match(reasonFor('v1-container-view', 90), /\/system\.slice\/containerd\.service\) is outside what is mounted here \(\/sys\/fs\/cgroup\/memory shows cgroup \/docker\//);
  });

  it('v1 with use_hierarchy 0 (old kernels): a parent limit does not cover its children', () => {
    const child = readOnce('v1-old-kernel-no-hierarchy', 300);
    assert.strictEqual(child.limit, undefined);
    assert.strictEqual(child.oomKills, undefined, 'no oom_kill line before 4.13');
    assert.strictEqual(child.inactiveFile, undefined, 'no memory.stat recorded: the field is simply unknown');
    assert.strictEqual(child.workingSet, child.usage);
    const parent = readOnce('v1-old-kernel-no-hierarchy', 301);
    assert.deepStrictEqual([parent.limit, parent.limitPath], [100 * MiB, '/batch']);
  });

  it('says why when memory is on no hierarchy', () => {
    assert.match(reasonFor('hybrid-memory-disabled', 77), /not enabled on the cgroup2 mount at \/sys\/fs\/cgroup\/unified/);
  });

  it('malformed or missing files: undefined fields, or a reason when usage itself is unusable', () => {
    assert.match(reasonFor('v2-malformed', 10), /memory usage of cgroup \/bad-usage .*does not hold a byte count/);
    assert.deepStrictEqual(readOnce('v2-malformed', 11), {
      version: 2,
      path: '/bad-fields',
      usage: MiB,
      limit: undefined,
      limitPath: undefined,
      high: undefined,
      inactiveFile: undefined,
      workingSet: MiB,
      peak: undefined,
      oomKills: undefined,
    });
    assert.match(reasonFor('v2-malformed', 12), /\(\/gone\) has been removed/);
    assert.match(reasonFor('v2-malformed', 13), /not enabled for the cgroup of process 13 \(\/no-memory\)/);
    assert.match(reasonFor('v2-malformed', 14), /\(\/\.\.\/sibling\) is outside/);
    assert.match(reasonFor('v2-malformed', 15), /does not hold a byte count/);
    assert.match(reasonFor('v2-malformed', 16), /no cgroup hierarchy with the memory controller/);
    assert.strictEqual(reasonFor('v2-malformed', 99), 'No process 99.');
    for (const pid of [0, -1, 1.5, NaN, Infinity]) assert.strictEqual(reasonFor('v2-malformed', pid), `${pid} is not a valid PID.`);
  });

  it('releases every descriptor, after a read and after a failed open', () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const opened = openCgroupReader(3100, roots('v2-container-limit-on-parent'));
    assert.ok(opened.ok);
    // usage, stat, events, peak; memory.max at the scope and the slice; memory.high at both.
    assert.strictEqual(fds() - before, 8);
    opened.reader.close();
    opened.reader.close();
    assert.throws(() => opened.reader.read(), /is closed/);
    for (const pid of [10, 13, 15]) reasonFor('v2-malformed', pid);
    assert.strictEqual(fds(), before);
  });

  describe('with a mountinfo the size of a host running thousands of containers', () => {
    let base: string;
    const overlayLine =
      '512 26 0:52 / /var/lib/docker/overlay2/9d1c7e0123456789abcdef0123456789abcdef0123456789abcdef/merged rw,relatime shared:280 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/QWERTYUIOPASDFGH:/var/lib/docker/overlay2/l/ASDFGHJKLZXCVBNM\n';
    /** This machine's tree with `bytes` of overlay mounts ahead of its real mountinfo. */
    const withPadding = (bytes: number) => {
      const file = path.join(base, THIS_MACHINE, 'proc', 'self', 'mountinfo');
      fs.writeFileSync(file, overlayLine.repeat(Math.ceil(bytes / overlayLine.length)) + recorded(THIS_MACHINE, 'proc', 'self', 'mountinfo'));
      return fs.statSync(file).size;
    };

    before(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cgroup-'));
      fs.cpSync(path.join(RECORDED, THIS_MACHINE), path.join(base, THIS_MACHINE), { recursive: true });
    });
    after(() => fs.rmSync(base, { recursive: true, force: true }));

    it('opens within the 50 ms a synchronous task may take, up to 4 MiB', () => {
      assert.ok(withPadding(4 * MiB - 8192) <= 4 * MiB);
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = process.hrtime.bigint();
        assert.strictEqual(readOnce(THIS_MACHINE, 26844, base).limit, 64 * MiB);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      times.sort((a, b) => a - b);
      assert.ok(times[1] < 50, `median open+read+close ${times[1].toFixed(1)} ms`);
    });

    it('refuses a larger one with a reason instead of reading without end', () => {
      assert.ok(withPadding(4 * MiB + 1) > 4 * MiB);
      const opened = openCgroupReader(26844, roots(THIS_MACHINE, base));
      assert.ok(!opened.ok);
      assert.match(opened.reason, /Cannot read \/proc\/self\/mountinfo .*larger than 4194304 bytes/);
    });
  });

  describe('on a copy whose files change', () => {
    let base: string;
    let reader: CgroupReader | undefined;
    const scopeFile = (name: string) => path.join(base, 'v2-container-limit-on-parent', 'sys', 'fs', 'cgroup', SCOPE, name);

    beforeEach(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cgroup-'));
      fs.cpSync(path.join(RECORDED, 'v2-container-limit-on-parent'), path.join(base, 'v2-container-limit-on-parent'), { recursive: true });
      const opened = openCgroupReader(3100, roots('v2-container-limit-on-parent', base));
      assert.ok(opened.ok);
      reader = opened.reader;
    });

    afterEach(() => {
      reader?.close();
      fs.rmSync(base, { recursive: true, force: true });
    });

    it('re-reads every file each time: a new limit on the container itself becomes the limit', () => {
      // Written in place, so the kept-open descriptors see it (as a cgroup file is rewritten in place).
      fs.writeFileSync(scopeFile('memory.max'), `${300 * MiB}\n`);
      fs.writeFileSync(scopeFile('memory.current'), `${290 * MiB}\n`);
      const f = reader!.read();
      assert.deepStrictEqual([f.limit, f.limitPath, f.usage, f.workingSet], [300 * MiB, SCOPE, 290 * MiB, 270 * MiB]);
    });

    it('two readers of one cgroup (processes of one container): a reading a moment old is shared, a reader\'s own never', async () => {
      const second = openCgroupReader(3100, roots('v2-container-limit-on-parent', base));
      assert.ok(second.ok);
      try {
        fs.writeFileSync(scopeFile('memory.current'), `${290 * MiB}\n`);
        assert.strictEqual(reader!.read().usage, 290 * MiB);
        fs.writeFileSync(scopeFile('memory.current'), `${280 * MiB}\n`);
        assert.strictEqual(second.reader.read().usage, 290 * MiB, 'the first reader\'s reading, a moment old');
        assert.strictEqual(reader!.read().usage, 280 * MiB, 'its own reading is never handed back');
        await new Promise((r) => setTimeout(r, SHARED_READING_MS + 20));
        fs.writeFileSync(scopeFile('memory.current'), `${270 * MiB}\n`);
        assert.strictEqual(second.reader.read().usage, 270 * MiB, 'older than SHARED_READING_MS: read');
      } finally {
        second.reader.close();
      }
      // A copy elsewhere is another cgroup: nothing shared.
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cgroup-'));
      try {
        fs.cpSync(path.join(RECORDED, 'v2-container-limit-on-parent'), path.join(elsewhere, 'v2-container-limit-on-parent'), { recursive: true });
        const other = openCgroupReader(3100, roots('v2-container-limit-on-parent', elsewhere));
        assert.ok(other.ok);
        assert.strictEqual(reader!.read().usage, 270 * MiB);
        assert.strictEqual(other.reader.read().usage, 452_984_832, 'its own files (as recorded), not the other copy\'s reading');
        other.reader.close();
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    it('a memory.stat larger than its buffer leaves inactive file unknown, the rest intact', () => {
      fs.writeFileSync(scopeFile('memory.stat'), 'inactive_file 1\n' + 'x 1\n'.repeat(8000));
      const f = reader!.read();
      assert.strictEqual(f.inactiveFile, undefined);
      assert.strictEqual(f.workingSet, f.usage);
      assert.strictEqual(f.limit, 512 * MiB);
    });

    it('inactive file above usage (the two files are read a moment apart) gives a working set of 0, not less', () => {
      fs.writeFileSync(scopeFile('memory.current'), `${10 * MiB}\n`);
      assert.strictEqual(reader!.read().workingSet, 0);
    });

    it('a usage file that turns to garbage makes read() throw with the cgroup named', () => {
      fs.writeFileSync(scopeFile('memory.current'), 'nonsense\n');
      assert.throws(() => reader!.read(), new RegExp(`Memory cgroup ${SCOPE.replace(/\./g, '\\.')}: its usage file does not hold a byte count`));
    });
  });
});

describe('describeHeadroom', () => {
  const figures = (workingSet: number, limit?: number): CgroupFigures => ({ version: 2, path: '/x', usage: workingSet, workingSet, limit, limitPath: limit === undefined ? undefined : '/x' });

  it('says the working set against the limit in binary units', () => {
    assert.strictEqual(describeHeadroom(figures(412 * MiB, 512 * MiB)), 'working set 412.0 MiB of 512.0 MiB limit, 80 %');
    assert.strictEqual(describeHeadroom(figures(3 * 1024 * MiB, 4 * 1024 * MiB)), 'working set 3.0 GiB of 4.0 GiB limit, 75 %');
    assert.strictEqual(describeHeadroom(figures(0, 0)), 'working set 0 B of 0 B limit');
    assert.strictEqual(describeHeadroom(figures(MiB)), undefined);
  });
});
