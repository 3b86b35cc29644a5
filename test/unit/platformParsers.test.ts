import * as assert from 'assert';
import { parsePsMemory } from '../../src/core/sampling/darwin';
import { parseCmdline, parsePsListing, parseWindowsProcesses } from '../../src/core/processes/processInfo';
import { decodeBlob } from '../../src/core/processes/goBinary';
import { SampleError, toSampleError } from '../../src/core/sampling/types';

describe('platform parsers', () => {
  it('parses ps memory output (KiB) on macOS', () => {
    assert.deepStrictEqual(parsePsMemory('  12180 1233536   0.5\n'), { rss: 12180 * 1024, vsz: 1233536 * 1024, cpu: 0.5 });
    assert.deepStrictEqual(parsePsMemory('  12180 1233536   0,5\n'), { rss: 12180 * 1024, vsz: 1233536 * 1024, cpu: 0.5 }, 'decimal comma locales');
    assert.strictEqual(parsePsMemory(''), undefined, 'no line: the process is gone');
    assert.throws(() => parsePsMemory('RSS VSZ'), /unexpected ps output/);
  });

  it('joins ps listings, keeping executable paths with spaces', () => {
    const args = '  501     1 /Applications/My App.app/Contents/MacOS/server -port 80\n  777   501 ./seedserver -addr :0\n';
    const comm = '  501 /Applications/My App.app/Contents/MacOS/server\n  777 ./seedserver\n';
    const list = parsePsListing(args, comm);
    assert.strictEqual(list.length, 2);
    assert.strictEqual(list[0].name, 'server');
    assert.strictEqual(list[0].executable, '/Applications/My App.app/Contents/MacOS/server');
    assert.strictEqual(list[1].ppid, 501);
    assert.strictEqual(list[1].commandLine, './seedserver -addr :0');
  });

  it('parses PowerShell CIM JSON, one object or many', () => {
    const one = parseWindowsProcesses('{"ProcessId":4,"ParentProcessId":0,"Name":"System","CommandLine":null,"ExecutablePath":null}');
    assert.deepStrictEqual(one, [{ pid: 4, ppid: 0, name: 'System', commandLine: '', executable: undefined }]);
    const many = parseWindowsProcesses('[{"ProcessId":10,"ParentProcessId":4,"Name":"server.exe","CommandLine":"server.exe -x","ExecutablePath":"C:\\\\srv\\\\server.exe"},{"ProcessId":"bad"}]');
    assert.strictEqual(many.length, 1);
    assert.strictEqual(many[0].executable, 'C:\\srv\\server.exe');
    assert.deepStrictEqual(parseWindowsProcesses(''), []);
  });

  it('joins /proc cmdline arguments', () => {
    assert.strictEqual(parseCmdline(Buffer.from('./server\0-addr\0:8010\0')), './server -addr :8010');
    assert.strictEqual(parseCmdline(Buffer.alloc(0)), '');
  });

  it('decodes a Go build-info blob (Go ≥ 1.18 inline version)', () => {
    const version = 'go1.26.8';
    const blob = Buffer.alloc(64);
    blob.write('\xff Go buildinf:', 0, 'latin1');
    blob[14] = 8;
    blob[15] = 0x2;
    blob[32] = version.length;
    blob.write(version, 33, 'latin1');
    assert.deepStrictEqual(decodeBlob(blob), { version });
    blob[15] = 0; // pre-1.18 pointer format: Go, version unknown
    assert.deepStrictEqual(decodeBlob(blob), {});
    assert.strictEqual(decodeBlob(Buffer.from('not a go binary at all, no magic here........')), undefined);
  });

  it('maps system errors to messages about the PID', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    assert.strictEqual(toSampleError(err('ENOENT'), 7).reason, 'no-such-process');
    assert.strictEqual(toSampleError(err('ESRCH'), 7).reason, 'exited');
    const perm = toSampleError(err('EACCES'), 7);
    assert.strictEqual(perm.reason, 'permission');
    assert.match(perm.message, /Not permitted to read the memory of process 7/);
    const same = new SampleError('failed', 'x');
    assert.strictEqual(toSampleError(same, 7), same);
  });
});
