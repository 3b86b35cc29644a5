/**
 * No permission → a clear message, no watch, no harm. Real refusals: an unprivileged user (nobody)
 * tries to read root's process through a /proc mounted with hidepid=1, and to signal it.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { startSeedServer, stopAll } from '../support/goFixtures';
import { isAlive } from '../support/wait';

const probe = path.join(__dirname, '..', 'support', 'permissionProbe.js');
const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, probe];

function runProbe(argv: string[]): { ok: boolean; reason?: string; message?: string; watches?: number } {
  const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('permissions', function () {
  before(function () {
    // Needs root to drop to another user and to mount a private /proc; CI runs as root.
    const ok = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0 && spawnSync('setpriv', ['--version']).status === 0;
    if (!ok) this.skip();
  });

  afterEach(() => stopAll());

  it('refuses to watch a process the OS will not let us read (EPERM)', async () => {
    const server = await startSeedServer();
    const script = `mount -t proc -o hidepid=1 proc /proc && exec ${asNobody.map((a) => `'${a}'`).join(' ')} attach ${server.pid}`;
    const result = runProbe(['unshare', '--mount', 'sh', '-c', script]);
    assert.strictEqual(result.ok, false);
    assert.strictEqual(result.reason, 'permission');
    assert.match(result.message!, new RegExp(`^Not permitted to read the memory of process ${server.pid} \\(EPERM\\)`));
    assert.strictEqual(result.watches, 0, 'no watch was created');
    assert.ok(isAlive(server.pid));
  });

  it('refuses to signal another user\'s process, which is left alone', async () => {
    const server = await startSeedServer(['-signal']);
    const result = runProbe([...asNobody, 'signal', String(server.pid)]);
    assert.strictEqual(result.ok, false);
    assert.match(result.message!, new RegExp(`^Not permitted to send SIGUSR1 to process ${server.pid}`));
    assert.ok(isAlive(server.pid));
  });
});
