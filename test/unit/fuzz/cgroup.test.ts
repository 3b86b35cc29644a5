/**
 * Fuzz: the memory-cgroup parsers (mountinfo, /proc/PID/cgroup, the controller's files) and the
 * reader end to end on mutated copies of the recorded trees (test/unit/recorded/cgroup), plus this
 * machine's own /proc/self/mountinfo and /proc/self/cgroup.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  findKeyedCount,
  inactiveFileFromStat,
  memoryMembership,
  NO_LIMIT_FROM,
  oomKillsFromEvents,
  parseByteCount,
  parseKeyedCounts,
  parseLimit,
  parseMountInfo,
  parseProcCgroup,
  segmentsBelow,
  unescapeMountField,
} from '../../../src/core/cgroup/parsers';
import { openCgroupReader } from '../../../src/core/cgroup/reader';
import { anyString, assertCount, assertOptionalCount, filesBelow, fuzz, HOSTILE_NUMBERS, isDeliberateError, mutatedText, present, procFile, RECORDED_DIR, returns } from './support';

const FAMILY = 'cgroup';
const CGROUP_DIR = path.join(RECORDED_DIR, 'cgroup');
const TREES = fs.readdirSync(CGROUP_DIR).filter((t) => fs.statSync(path.join(CGROUP_DIR, t)).isDirectory());
/** Every recorded file, by its base name (mountinfo, cgroup, memory.stat, …). */
const RECORDED_FILES = TREES.flatMap((tree) => filesBelow(path.join(CGROUP_DIR, tree)).map((rel) => ({ tree, rel, text: fs.readFileSync(path.join(CGROUP_DIR, tree, rel), 'utf8') })));
const byName = (...names: string[]) => RECORDED_FILES.filter((f) => names.includes(path.basename(f.rel))).map((f) => f.text);

const MOUNTINFOS = [...byName('mountinfo'), ...present([procFile('self', 'mountinfo')])];
const PROC_CGROUPS = [...RECORDED_FILES.filter((f) => /^proc\/(\d+|self)\/cgroup$/.test(f.rel)).map((f) => f.text), ...present([procFile('self', 'cgroup')])];
const NUMBER_FILES = byName('memory.current', 'memory.peak', 'memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes', 'memory.max', 'memory.high');
const KEYED_FILES = byName('memory.stat', 'memory.events', 'memory.oom_control');

describe('fuzz: cgroup', () => {
  it('has recorded seeds of every kind', () => {
    for (const seeds of [MOUNTINFOS, PROC_CGROUPS, NUMBER_FILES, KEYED_FILES]) assert.ok(seeds.length >= 3, 'seeds missing');
  });

  it('parseMountInfo: mutations of real mountinfo, random text', () => {
    fuzz(FAMILY, 1200, fc.property(fc.oneof(mutatedText(MOUNTINFOS), anyString(200)), (text) => {
      for (const m of returns('parseMountInfo', () => parseMountInfo(text))) {
        assertCount('mountId', m.mountId);
        assertCount('parentId', m.parentId);
        assert.ok(m.root.startsWith('/') && m.mountPoint.startsWith('/'));
        for (const k of ['fsType', 'source'] as const) assert.strictEqual(typeof m[k], 'string');
        assert.ok(m.superOptions.every((o) => typeof o === 'string'));
      }
    }));
    // mountinfo may be megabytes on a host with thousands of containers: one long line must not hurt either.
    fuzz(FAMILY, 10, fc.property(fc.integer({ min: 10_000, max: 1_000_000 }), fc.constantFrom(' ', '\\040', '-', 'a'), (n, c) => void returns('parseMountInfo', () => parseMountInfo(`1 2 0:1 / /x rw ${c.repeat(n)} - cgroup cgroup rw,memory\n`))));
  });

  it('unescapeMountField undoes octal escapes and nothing else', () => {
    fuzz(FAMILY, 500, fc.property(anyString(40), (s) => {
      const escaped = s.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011').replace(/\n/g, '\\012');
      assert.strictEqual(returns('unescapeMountField', () => unescapeMountField(escaped)), s);
    }));
  });

  it('parseProcCgroup and memoryMembership: mutations of real files, random text', () => {
    fuzz(FAMILY, 1500, fc.property(fc.oneof(mutatedText(PROC_CGROUPS), anyString(120)), (text) => {
      const memberships = returns('parseProcCgroup', () => parseProcCgroup(text));
      for (const m of memberships) {
        assertCount('hierarchyId', m.hierarchyId);
        assert.ok(m.path.startsWith('/'));
        assert.strictEqual(typeof m.deleted, 'boolean');
      }
      const found = returns('memoryMembership', () => memoryMembership(memberships));
      if (found) assert.ok(found.version === 1 || found.version === 2);
    }));
  });

  it('segmentsBelow never yields a segment that leaves the mount', () => {
    const pathish = fc.array(fc.oneof(fc.constantFrom('.', '..', '', 'a', 'docker', 'x\0y', '...'), fc.string({ maxLength: 6 })), { maxLength: 6 }).map((s) => '/' + s.join('/'));
    fuzz(FAMILY, 1000, fc.property(pathish, pathish, (cgroupPath, root) => {
      const segments = returns('segmentsBelow', () => segmentsBelow(cgroupPath, root));
      if (segments) for (const s of segments) assert.ok(s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\0'), JSON.stringify(s));
    }));
  });

  it('parseByteCount and parseLimit: a count, "none", or undefined — never NaN or a rounded figure', () => {
    const numberish = fc.oneof(mutatedText(NUMBER_FILES), fc.constantFrom(...HOSTILE_NUMBERS).map((n) => `${n}\n`), fc.bigInt({ min: 0n, max: 2n ** 70n }).map((n) => `${n}\n`), anyString(30), fc.constantFrom('max\n', 'max', ' max \n', 'MAX\n', 'max max\n'));
    fuzz(FAMILY, 2000, fc.property(numberish, (text) => {
      const count = returns('parseByteCount', () => parseByteCount(text));
      assertOptionalCount('parseByteCount', count);
      // The oracle: one whole number of at most 16 digits, that a double holds exactly.
      const digits = text.trim();
      const expected = /^\d{1,16}$/.test(digits) && Number.isSafeInteger(Number(digits)) ? Number(digits) : undefined;
      assert.strictEqual(count, expected);
      const limit = returns('parseLimit', () => parseLimit(text));
      if (limit?.kind === 'bytes') {
        assertCount('limit', limit.bytes);
        assert.ok(limit.bytes < NO_LIMIT_FROM);
      }
      if (/^\d{1,20}$/.test(digits) && BigInt(digits) >= 2n ** 60n) assert.deepStrictEqual(limit, { kind: 'none' }, 'v1 "unlimited" is 2^63 − 1 rounded to a page');
    }));
  });

  it('parseKeyedCounts, findKeyedCount and their users agree, on mutations of real files', () => {
    fuzz(FAMILY, 1200, fc.property(fc.oneof(mutatedText(KEYED_FILES), anyString(120)), (text) => {
      const counts = returns('parseKeyedCounts', () => parseKeyedCounts(text));
      for (const [key, value] of counts) {
        assertCount(key, value);
        // Where a key is on one line only, the one-key lookup reads what the map holds.
        const lines = text.split('\n').filter((l) => l.startsWith(`${key} `));
        if (lines.length === 1) assert.strictEqual(returns('findKeyedCount', () => findKeyedCount(text, key)), value, key);
      }
      assertOptionalCount('inactiveFile v1', returns('inactiveFileFromStat', () => inactiveFileFromStat(text, 1)));
      assertOptionalCount('inactiveFile v2', returns('inactiveFileFromStat', () => inactiveFileFromStat(text, 2)));
      assertOptionalCount('oomKills', returns('oomKillsFromEvents', () => oomKillsFromEvents(text)));
    }));
  });

  describe('openCgroupReader on mutated copies of the recorded trees', () => {
    let base: string;
    /** Each tree with the PIDs it has a /proc/PID/cgroup for. */
    const targets = TREES.flatMap((tree) => {
      const proc = path.join(CGROUP_DIR, tree, 'proc');
      return fs.existsSync(proc) ? fs.readdirSync(proc).filter((p) => /^\d+$/.test(p)).map((pid) => ({ tree, pid: Number(pid) })) : [];
    });

    before(() => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fuzz-cgroup-'));
      for (const tree of TREES) fs.cpSync(path.join(CGROUP_DIR, tree), path.join(base, tree), { recursive: true });
    });

    after(() => {
      if (base) fs.rmSync(base, { recursive: true, force: true });
    });

    it('opens or says why not, and reads figures that are counts, whatever one file holds', () => {
      assert.ok(targets.length >= 8);
      const caseArb = fc.constantFrom(...targets).chain(({ tree, pid }) => {
        const files = RECORDED_FILES.filter((f) => f.tree === tree);
        return fc.constantFrom(...files).chain((file) => fc.record({ tree: fc.constant(tree), pid: fc.constant(pid), file: fc.constant(file), text: mutatedText([file.text], 3, 5000) }));
      });
      fuzz(FAMILY, 150, fc.property(caseArb, ({ tree, pid, file, text }) => {
        const target = path.join(base, tree, file.rel);
        fs.writeFileSync(target, text);
        try {
          const opened = returns('openCgroupReader', () => openCgroupReader(pid, { procRoot: path.join(base, tree, 'proc'), fsRoot: path.join(base, tree) }));
          if (!opened.ok) {
            assert.strictEqual(typeof opened.reason, 'string');
            return;
          }
          try {
            const outcome = returns('read', () => {
              try {
                return opened.reader.read();
              } catch (err) {
                // read() is documented to throw an Error saying so when usage cannot be read.
                assert.ok(isDeliberateError(err, /^Memory cgroup /), `read() threw ${String(err)}`);
                return undefined;
              }
            });
            if (outcome) {
              for (const k of ['usage', 'workingSet'] as const) assertCount(k, outcome[k]);
              for (const k of ['limit', 'high', 'inactiveFile', 'peak', 'oomKills'] as const) assertOptionalCount(k, outcome[k]);
              assert.ok(outcome.workingSet <= outcome.usage);
            }
          } finally {
            opened.reader.close();
          }
        } finally {
          fs.writeFileSync(target, file.text);
        }
      }));
    });
  });
});
