/**
 * Fuzz: which TCP ports a target listens on — /proc/PID/net/tcp{,6} tables (Linux) and
 * `lsof -F n` (macOS). Seeds are this machine's real tables and a real lsof answer about sockets
 * this test opens; oracles write well-formed tables the way the kernel does.
 */
import * as assert from 'assert';
import * as fc from 'fast-check';
import * as net from 'net';
import { Listener, loopbackHost, parseLsofListeners, parseProcNetTcp } from '../../../src/core/goruntime/listeners';
import { anyString, assertPort, commandOutput, fuzz, mutatedText, present, procFile, returns } from './support';

const FAMILY = 'listeners';
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
/** This machine's table, cut to its first 24 rows (the whole may be hundreds: mutating it would cost more than parsing it). */
const TCP = present([procFile('self', 'net/tcp')]).map((t) => t.split('\n').slice(0, 25).join('\n') + '\n');
const TCP6 = present([procFile('self', 'net/tcp6')]);
/** The inode column of every row: matching against these exercises the accepting path. */
const inodesOf = (table: string) => new Set(table.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[9]).filter((i): i is string => !!i));

/** A listener's shape: an address string and a port number. */
function assertListenerShape(l: Listener): void {
  assert.strictEqual(typeof l.address, 'string');
  assert.strictEqual(typeof l.port, 'number');
  returns('loopbackHost', () => loopbackHost(l));
}

/** One row as the kernel writes it (tcp4_seq_show / tcp6_seq_show), with hex words in host (little-endian) order. */
function row(i: number, localHex: string, port: number, state: string, inode: string): string {
  const p = port.toString(16).toUpperCase().padStart(4, '0');
  return `  ${i}: ${localHex}:${p} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
}

/** Bytes of an address as /proc/net/tcp6 writes them: four 32-bit words, each little-endian. */
function v6Hex(bytes: readonly number[]): string {
  let hex = '';
  for (let w = 0; w < 4; w++) for (let b = 3; b >= 0; b--) hex += bytes[w * 4 + b].toString(16).padStart(2, '0').toUpperCase();
  return hex;
}

/** The same address as Node's URL writes it (RFC 5952), to compare spellings by meaning. */
function canonicalV6(address: string): string {
  return new URL(`http://[${address}]/`).hostname;
}

describe('fuzz: listeners', () => {
  let lsofSeeds: string[] = [];
  const servers: net.Server[] = [];

  before(async function () {
    // Real lsof output about real listening sockets of this process (v4, v6, any address).
    for (const host of ['127.0.0.1', '::1', '::']) {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.once('error', () => resolve()).listen(0, host, () => resolve()));
      servers.push(server);
    }
    lsofSeeds = present([commandOutput('lsof', ['-nP', '-a', '-p', String(process.pid), '-iTCP', '-sTCP:LISTEN', '-Fn'])]);
    if (lsofSeeds.length === 0) lsofSeeds = ['p17808\nn127.0.0.1:41781\nn[::1]:37421\nn*:44489\n']; // recorded here with lsof 4.95
  });

  after(() => servers.forEach((s) => s.close()));

  describe('parseProcNetTcp', () => {
    it('never throws: mutations of the real tables, random text', () => {
      const tables = [...TCP.map((t) => ({ t, v6: false })), ...TCP6.map((t) => ({ t, v6: true }))];
      assert.ok(tables.length > 0, 'this test reads /proc/self/net/tcp: Linux expected');
      const input = fc.constantFrom(...tables).chain(({ t, v6 }) => fc.tuple(fc.oneof(mutatedText([t]), anyString(200).map((s) => HEADER + s)), fc.constant(v6), fc.constant(inodesOf(t))));
      fuzz(FAMILY, 2000, fc.property(input, ([text, v6, inodes]) => {
        const listeners = returns('parseProcNetTcp', () => parseProcNetTcp(text, inodes, v6));
        listeners.forEach(assertListenerShape);
      }));
    });

    it('finds exactly the LISTEN rows whose inode is the target\'s, with the right IPv4 address and port', () => {
      const rows = fc.array(fc.record({ addr: fc.array(fc.nat({ max: 255 }), { minLength: 4, maxLength: 4 }), port: fc.integer({ min: 1, max: 65535 }), state: fc.constantFrom('0A', '01', '06', '0A'), inode: fc.nat({ max: 1e9 }).map(String), ours: fc.boolean() }), { maxLength: 12 });
      fuzz(FAMILY, 800, fc.property(rows, (rs) => {
        const table = HEADER + rs.map((r, i) => row(i, r.addr.map((b) => b.toString(16).padStart(2, '0')).reverse().join('').toUpperCase(), r.port, r.state, r.inode)).join('\n') + '\n';
        const inodes = new Set(rs.filter((r) => r.ours).map((r) => r.inode));
        const expected = rs.filter((r) => r.state === '0A' && inodes.has(r.inode)).map((r) => ({ address: r.addr.join('.'), port: r.port }));
        assert.deepStrictEqual(returns('parseProcNetTcp', () => parseProcNetTcp(table, inodes, false)), expected);
      }));
    });

    it('writes any IPv6 address so that it means the same address', () => {
      const bytes = fc.oneof(fc.array(fc.nat({ max: 255 }), { minLength: 16, maxLength: 16 }), fc.array(fc.constantFrom(0, 0, 0, 1, 255), { minLength: 16, maxLength: 16 }));
      fuzz(FAMILY, 800, fc.property(bytes, fc.integer({ min: 1, max: 65535 }), (b, port) => {
        const [l] = returns('parseProcNetTcp', () => parseProcNetTcp(HEADER + row(0, v6Hex(b), port, '0A', '77') + '\n', new Set(['77']), true));
        const full = Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16)).join(':');
        assert.strictEqual(canonicalV6(l.address), canonicalV6(full), `${l.address} is not ${full}`);
        assert.strictEqual(l.port, port);
      }));
    });

    // Was a bug (found by this suite): the port was parseInt(…, 16) unchecked, so an address
    // without ":" gave NaN and five hex digits a port above 65535, and discovery's `new URL` threw.
    // Shrunk: this machine's table with a LISTEN row's ":" replaced by a NUL. Such rows are dropped.
    it('drops rows whose port is not 1–65535', () => {
      assert.deepStrictEqual(parseProcNetTcp(`${HEADER}  0: 0100007F 00000000:0000 0A 0 0 0 0 0 77\n`, new Set(['77']), false), []);
      assert.deepStrictEqual(parseProcNetTcp(`${HEADER}  0: 0100007F:1FFFF 00000000:0000 0A 0 0 0 0 0 77\n`, new Set(['77']), false), []);
      fuzz(FAMILY, 1000, fc.property(mutatedText(TCP), (text) => parseProcNetTcp(text, inodesOf(TCP[0]), false).forEach((x) => assertPort('port', x.port))));
    });
  });

  describe('parseLsofListeners', () => {
    it('never throws: mutations of real lsof output, random text', () => {
      fuzz(FAMILY, 3000, fc.property(fc.oneof(mutatedText(lsofSeeds), anyString(120)), (text) => returns('parseLsofListeners', () => parseLsofListeners(text)).forEach(assertListenerShape)));
      fuzz(FAMILY, 20, fc.property(fc.integer({ min: 1000, max: 1_000_000 }), fc.constantFrom('n', 'n[', 'n*:', 'n1'), (n, prefix) => void returns('parseLsofListeners', () => parseLsofListeners(prefix + '1'.repeat(n)))));
    });

    it('reads back what lsof writes for v4, v6 and wildcard listeners', () => {
      const entry = fc.record({ host: fc.oneof(fc.ipV4(), fc.ipV6().map((a) => `[${a}]`), fc.constant('*')), port: fc.integer({ min: 1, max: 65535 }) });
      fuzz(FAMILY, 600, fc.property(fc.array(entry, { maxLength: 8 }), fc.nat(), (entries, pid) => {
        const text = `p${pid}\nf3\n${entries.map((e) => `n${e.host}:${e.port}`).join('\nf4\n')}\n`;
        const expected = entries.map((e) => ({ address: e.host === '*' ? '0.0.0.0' : e.host.replace(/^\[|\]$/g, ''), port: e.port }));
        assert.deepStrictEqual(returns('parseLsofListeners', () => parseLsofListeners(text)), expected);
      }));
    });

    // Was a bug (found by this suite): any digit run was a port ("n*:0", "n*:99999999",
    // 'n[::1]:9007199254740993'), and discovery's `new URL` threw. Such lines are dropped.
    it('drops ports outside 1–65535', () => {
      assert.deepStrictEqual(parseLsofListeners('n*:0\nn*:99999999'), []);
      fuzz(FAMILY, 500, fc.property(mutatedText(lsofSeeds), (text) => parseLsofListeners(text).forEach((l) => assertPort('port', l.port))));
    });
  });
});
