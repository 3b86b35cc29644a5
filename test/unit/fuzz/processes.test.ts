/**
 * Fuzz: what the process picker reads about other processes — /proc/PID/cmdline, `ps` listings
 * (macOS), PowerShell's Win32_Process JSON (Windows) and the Go build-info blob of executables.
 * Seeds: this machine's /proc files and `ps` output, and a real Go binary (the toolchain's gofmt).
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeBlob, readGoBuildInfo } from '../../../src/core/processes/goBinary';
import { parseCmdline, parsePsListing, parseWindowsProcesses } from '../../../src/core/processes/processInfo';
import { anyString, assertCount, assertPid, commandOutput, fuzz, fuzzAsync, hostileJson, mutatedBytes, mutatedText, present, procFile, resolvesFast, returns, somePids } from './support';

const FAMILY = 'process info';
const MAX_COMMAND_LINE = 4096;

/** A ProcessInfo row's shape: strings bounded as the picker needs them. */
function assertRowShape(p: { pid: number; ppid?: number; name: string; commandLine: string; executable?: string }): void {
  assert.strictEqual(typeof p.pid, 'number');
  if (p.ppid !== undefined) assert.strictEqual(typeof p.ppid, 'number');
  assert.strictEqual(typeof p.name, 'string');
  assert.strictEqual(typeof p.commandLine, 'string');
  assert.ok(p.commandLine.length <= MAX_COMMAND_LINE, `command line of ${p.commandLine.length} characters`);
  if (p.executable !== undefined) assert.strictEqual(typeof p.executable, 'string');
}

/** The full rule for the numbers of a row: a PID (≥ 0: macOS lists kernel_task as PID 0) and a PPID. */
function assertRowFigures(p: { pid: number; ppid?: number }): void {
  assertCount('pid', p.pid);
  if (p.ppid !== undefined) assertCount('ppid', p.ppid);
}

/** The real Go binary of the toolchain this machine builds fixtures with. */
function goBinary(): string | undefined {
  const usual = '/usr/local/go/bin/gofmt';
  if (fs.existsSync(usual)) return usual;
  const goroot = commandOutput('go', ['env', 'GOROOT'])?.trim();
  return goroot && fs.existsSync(path.join(goroot, 'bin', 'gofmt')) ? path.join(goroot, 'bin', 'gofmt') : undefined;
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

describe('fuzz: process info', () => {
  describe('parseCmdline', () => {
    const seeds = present(somePids().map((p) => procFile(p, 'cmdline'))).map((t) => Buffer.from(t, 'latin1'));

    it('joins any bytes into a bounded line without NULs', () => {
      const input = fc.oneof(mutatedBytes(seeds.length ? seeds : [Buffer.from('./server\0-addr\0:8010\0')]), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)), fc.integer({ min: 4000, max: 200_000 }).map((n) => Buffer.alloc(n, 0x61)));
      fuzz(FAMILY, 1500, fc.property(input, (raw) => {
        const line = returns('parseCmdline', () => parseCmdline(raw));
        assert.ok(line.length <= MAX_COMMAND_LINE + 1, `${line.length} characters`);
        assert.ok(!line.includes('\0'));
      }));
    });

    it('reads back arguments as one line', () => {
      const arg = fc.string({ unit: 'binary', maxLength: 30 }).filter((a) => !a.includes('\0'));
      fuzz(FAMILY, 800, fc.property(fc.array(arg, { minLength: 1, maxLength: 20 }), (args) => {
        const joined = args.join(' ');
        const expected = joined.length > MAX_COMMAND_LINE ? joined.slice(0, MAX_COMMAND_LINE) + '…' : joined;
        assert.strictEqual(returns('parseCmdline', () => parseCmdline(Buffer.from(args.join('\0') + '\0'))), expected);
      }));
    });
  });

  describe('parsePsListing (macOS)', () => {
    const args = present([commandOutput('ps', ['-axww', '-o', 'pid=,ppid=,args='])]);
    const comm = present([commandOutput('ps', ['-axww', '-o', 'pid=,comm='])]);
    const argsSeeds = [...args, '  501     1 /Applications/My App.app/Contents/MacOS/server -port 80\n  777   501 ./seedserver -addr :0\n'];
    const commSeeds = [...comm, '  501 /Applications/My App.app/Contents/MacOS/server\n  777 ./seedserver\n'];

    it('never throws and bounds each row: mutations of real ps output, random text', () => {
      fuzz(FAMILY, 1000, fc.property(fc.oneof(mutatedText(argsSeeds, 3, 5000), anyString(200)), fc.oneof(mutatedText(commSeeds, 3, 5000), anyString(200)), (a, c) => returns('parsePsListing', () => parsePsListing(a, c)).forEach(assertRowShape)));
    });

    it('reads back rows written as ps writes them', () => {
      // PID 0 (macOS' kernel_task) is no process to watch: rows start at 1.
      const rowArb = fc.record({ pid: fc.integer({ min: 1, max: 99999 }), ppid: fc.nat({ max: 99999 }), args: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s && s.length > 0 && !s.includes('\n')) });
      fuzz(FAMILY, 500, fc.property(fc.uniqueArray(rowArb, { selector: (r) => r.pid, maxLength: 10 }), (rows) => {
        const text = rows.map((r) => `${String(r.pid).padStart(5)} ${String(r.ppid).padStart(5)} ${r.args}`).join('\n');
        const parsed = returns('parsePsListing', () => parsePsListing(text, ''));
        assert.deepStrictEqual(parsed.map((p) => [p.pid, p.ppid, p.commandLine]), rows.map((r) => [r.pid, r.ppid, r.args]));
      }));
    });

    // Was a bug (found by this suite): PID and PPID were Number() of any digit run (shrunk:
    // PID 2^53; '99999999999999999 1 x'). Rows without a real PID are dropped.
    it('drops rows whose PID is not one', () => {
      assert.deepStrictEqual(parsePsListing('99999999999999999 1 x', ''), []);
      fuzz(FAMILY, 500, fc.property(mutatedText(argsSeeds), (a) => parsePsListing(a, '').forEach(assertRowFigures)));
    });
  });

  describe('parseWindowsProcesses', () => {
    const RECORDED = '[{"ProcessId":10,"ParentProcessId":4,"Name":"server.exe","CommandLine":"server.exe -x","ExecutablePath":"C:\\\\srv\\\\server.exe"},{"ProcessId":4,"ParentProcessId":0,"Name":"System","CommandLine":null,"ExecutablePath":null}]';
    const field = fc.oneof(hostileJson(), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: 1, max: 99999 }));
    const rowArb = fc.record({ ProcessId: field, ParentProcessId: field, Name: field, CommandLine: fc.oneof(field, fc.integer({ min: 4000, max: 20000 }).map((n) => 'x'.repeat(n))), ExecutablePath: field }, { requiredKeys: [] });

    /** SyntaxError is its contract for what is not JSON (listWindows' callers catch it); nothing else may throw. */
    function check(json: string): void {
      let isJson = true;
      try {
        JSON.parse(json);
      } catch {
        isJson = false;
      }
      if (!isJson && json.trim()) {
        assert.throws(() => parseWindowsProcesses(json), SyntaxError);
        return;
      }
      const rows = returns('parseWindowsProcesses', () => parseWindowsProcesses(json));
      for (const r of rows) {
        assertRowShape(r);
        assertPid('pid', r.pid);
      }
    }

    it('throws only SyntaxError, for what is not JSON; rows otherwise: mutations, hostile rows, random JSON', () => {
      fuzz(FAMILY, 900, fc.property(mutatedText([RECORDED]), check));
      fuzz(FAMILY, 900, fc.property(fc.oneof(rowArb.map((r) => JSON.stringify(r)), fc.array(rowArb, { maxLength: 6 }).map((rs) => JSON.stringify(rs)), fc.json(), anyString(100)), check));
      fuzz(FAMILY, 10, fc.property(fc.integer({ min: 1, max: 100_000 }), (n) => check('['.repeat(n) + ']'.repeat(n))));
    });

    // Was a bug (found by this suite): the PPID was `Number(ParentProcessId) || undefined`, so −1,
    // 1e300 and Infinity became one (shrunk: '{"ProcessId":5,"ParentProcessId":-1}').
    it('keeps a PPID only when it is one', () => {
      parseWindowsProcesses('{"ProcessId":5,"ParentProcessId":-1}').forEach(assertRowFigures);
      fuzz(FAMILY, 500, fc.property(rowArb, (r) => parseWindowsProcesses(JSON.stringify(r)).forEach(assertRowFigures)));
    });
  });

  describe('decodeBlob and readGoBuildInfo', () => {
    const binary = goBinary();
    const image = binary ? fs.readFileSync(binary) : undefined;
    const at = image ? image.indexOf(MAGIC) : -1;
    const realBlob = image && at >= 0 ? Buffer.from(image.subarray(at, at + 512)) : undefined;

    /** What decodeBlob may say: not Go, Go of unknown version, or a short version that looks like one. */
    function assertInfo(info: { version?: string } | undefined): void {
      if (info?.version === undefined) return;
      assert.ok(Buffer.byteLength(info.version) <= 128 * 3, `version of ${info.version.length} characters`);
      assert.match(info.version, /^(go\d|devel)/);
    }

    it('has a real Go binary to read', () => {
      assert.ok(realBlob, 'the Go toolchain (gofmt) is needed: Go builds the fixtures');
      assert.match(decodeBlob(realBlob)?.version ?? '', /^go1\.\d+/);
    });

    it('decodeBlob: mutations of the real build-info blob, random bytes', () => {
      fuzz(FAMILY, 1500, fc.property(fc.oneof(mutatedBytes(present([realBlob]), 6), fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.concat([MAGIC, Buffer.from(u)]))), (blob) => void assertInfo(returns('decodeBlob', () => decodeBlob(blob)))));
    });

    it('decodeBlob reads back any inline version string', () => {
      fuzz(FAMILY, 600, fc.property(fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.stringMatching(/^go1\.\d{1,2}(\.\d{1,2})?$/)), (version) => {
        const bytes = Buffer.from(version);
        fc.pre(bytes.length <= 127);
        const blob = Buffer.concat([MAGIC, Buffer.from([8, 0x2]), Buffer.alloc(16), Buffer.from([bytes.length]), bytes]);
        const expected = /^go\d/.test(version) || /^devel/.test(version) ? { version: bytes.toString('utf8') } : {};
        assert.deepStrictEqual(returns('decodeBlob', () => decodeBlob(blob)), expected);
      }));
    });

    describe('readGoBuildInfo on a mutated copy of a real Go binary', () => {
      let dir: string;
      let copy: string;
      /** Byte ranges worth mutating: the ELF header, section table, section names, build-info blob. */
      let regions: { start: number; length: number }[] = [];

      before(function () {
        if (!image) this.skip();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fuzz-elf-'));
        copy = path.join(dir, 'gofmt');
        fs.writeFileSync(copy, image!);
        const shoff = Number(image!.readBigUInt64LE(0x28));
        const shentsize = image!.readUInt16LE(0x3a);
        const shnum = image!.readUInt16LE(0x3c);
        const names = shoff + image!.readUInt16LE(0x3e) * shentsize;
        regions = [
          { start: 0, length: 64 },
          { start: shoff, length: shnum * shentsize },
          { start: Number(image!.readBigUInt64LE(names + 0x18)), length: Number(image!.readBigUInt64LE(names + 0x20)) },
          { start: at, length: 64 },
        ];
      });

      after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      });

      it('resolves, never rejects, and stays fast', async () => {
        const write = fc.record({ region: fc.nat({ max: 3 }), offset: fc.nat(), byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff, 0x7f, 0x80)) });
        await fuzzAsync(FAMILY, 150, fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 6 }), async (writes) => {
          const fd = fs.openSync(copy, 'r+');
          const positions = writes.map((w) => regions[w.region].start + (w.offset % regions[w.region].length));
          try {
            writes.forEach((w, i) => fs.writeSync(fd, Buffer.from([w.byte]), 0, 1, positions[i]));
            assertInfo(await resolvesFast('readGoBuildInfo', () => readGoBuildInfo(copy)));
          } finally {
            // Put the real bytes back for the next case.
            for (const p of positions) fs.writeSync(fd, image!.subarray(p, p + 1), 0, 1, p);
            fs.closeSync(fd);
          }
        }));
        assert.match((await readGoBuildInfo(copy))?.version ?? '', /^go1\./, 'the copy is restored between cases');
      });

      it('resolves on truncated copies and on random headers of every format (ELF, Mach-O, fat, PE)', async () => {
        const short = path.join(dir, 'short');
        const magic = fc.constantFrom('7f454c46', 'cffaedfe', 'cefaedfe', 'cafebabe', 'cafebabf', '4d5a', '');
        const header = fc.tuple(magic, fc.uint8Array({ minLength: 0, maxLength: 2048 })).map(([m, rest]) => Buffer.concat([Buffer.from(m, 'hex'), Buffer.from(rest)]));
        const truncated = fc.nat({ max: 4096 }).map((n) => image!.subarray(0, n));
        await fuzzAsync(FAMILY, 150, fc.asyncProperty(fc.oneof(header, truncated), async (bytes) => {
          fs.writeFileSync(short, bytes);
          assertInfo(await resolvesFast('readGoBuildInfo', () => readGoBuildInfo(short)));
        }));
      });

      // Was a bug (found by this suite): elfBlob found each section name's end with indexOf over a
      // string table of up to 1 MiB, for up to 16383 sections, in one synchronous loop — 4.1 s of a
      // frozen extension host for a crafted 2 MiB executable (the process picker reads the
      // executables of processes the user can see). Names are now compared in place.
      it('a crafted ELF with many sections and a NUL-free string table is read fast', async () => {
        const shnum = 16383;
        const tableEnd = 64 + shnum * 64;
        const elf = Buffer.alloc(tableEnd + 1024 * 1024, 0x41);
        elf.fill(0, 0, tableEnd);
        elf.writeUInt32BE(0x7f454c46, 0);
        elf[4] = 2; // 64-bit
        elf[5] = 1; // little-endian
        elf.writeBigUInt64LE(64n, 0x28); // section table right after the header
        elf.writeUInt16LE(64, 0x3a);
        elf.writeUInt16LE(shnum, 0x3c);
        elf.writeUInt16LE(0, 0x3e); // section 0 holds the names…
        elf.writeBigUInt64LE(BigInt(tableEnd), 64 + 0x18);
        elf.writeBigUInt64LE(1024n * 1024n, 64 + 0x20); // …1 MiB of them, with no NUL
        const file = path.join(dir, 'crafted.elf');
        fs.writeFileSync(file, elf);
        await resolvesFast('readGoBuildInfo', () => readGoBuildInfo(file));
      });
    });
  });
});
