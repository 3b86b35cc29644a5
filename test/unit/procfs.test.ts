import * as assert from 'assert';
import { isGone, maskHasSignal, parseStat, parseStatus } from '../../src/core/sampling/procfs';

// Recorded from a Go program on Linux 6.x (the comm is doctored to contain the awkward characters
// a real comm may hold: spaces and a closing parenthesis).
const STAT =
  '4242 (my server) (x)) S 1 4242 4242 0 -1 4194560 1371 0 0 0 25 7 0 0 20 0 6 0 1234567 1263132672 3045 18446744073709551615 4194304 7274581 140729 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 9539584 9727776 28172288 140729 140729 140729 140729 0\n';

const STATUS = `Name:\tseedserver
Umask:\t0022
State:\tS (sleeping)
Tgid:\t4242
Pid:\t4242
PPid:\t1
Uid:\t1000\t1000\t1000\t1000
VmPeak:\t 1233788 kB
VmSize:\t 1233536 kB
VmHWM:\t  159160 kB
VmRSS:\t   12180 kB
RssAnon:\t    7448 kB
RssFile:\t    4732 kB
RssShmem:\t       0 kB
VmSwap:\t       0 kB
Threads:\t6
SigQ:\t0/94798
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000000000000
SigCgt:\tfffffffd7fc1feff
`;

describe('procfs parsers', () => {
  it('parses stat, comm with spaces and parentheses included', () => {
    const s = parseStat(STAT);
    assert.strictEqual(s.pid, 4242);
    assert.strictEqual(s.comm, 'my server) (x)');
    assert.strictEqual(s.state, 'S');
    assert.strictEqual(s.ppid, 1);
    assert.strictEqual(s.utime, 25);
    assert.strictEqual(s.stime, 7);
    assert.strictEqual(s.startTime, '1234567');
    assert.strictEqual(s.vsize, 1263132672);
    assert.strictEqual(s.rssPages, 3045);
  });

  it('rejects a truncated stat', () => {
    assert.throws(() => parseStat('12 (x) S 1 2'), /truncated/);
    assert.throws(() => parseStat('garbage'), /malformed/);
  });

  it('parses status sizes (kB means KiB) and signal masks', () => {
    const s = parseStatus(STATUS);
    assert.strictEqual(s.name, 'seedserver');
    assert.strictEqual(s.state, 'S');
    assert.strictEqual(s.uid, 1000);
    assert.strictEqual(s.vmRss, 12180 * 1024);
    assert.strictEqual(s.vmHwm, 159160 * 1024);
    assert.strictEqual(s.rssAnon, 7448 * 1024);
    assert.strictEqual(s.rssFile, 4732 * 1024);
    assert.strictEqual(s.vmSwap, 0);
    assert.strictEqual(s.sigCgt, 0xfffffffd7fc1feffn);
  });

  it('reads signal bits: bit n−1 is signal n', () => {
    const mask = 0xfffffffd7fc1feffn; // a Go program: catches SIGUSR1 (10) and SIGUSR2 (12)
    assert.ok(maskHasSignal(mask, 10));
    assert.ok(maskHasSignal(mask, 12));
    assert.ok(!maskHasSignal(mask, 9), 'nobody catches SIGKILL');
    assert.ok(!maskHasSignal(0n, 10), '`sleep` catches nothing');
    assert.ok(!maskHasSignal(undefined, 10));
  });

  it('treats zombies and dead tasks as gone', () => {
    assert.ok(isGone('Z'));
    assert.ok(isGone('X'));
    assert.ok(!isGone('S'));
  });
});
