import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parsePidFile, readPidFile, resolvePidFilePath } from '../../src/core/pidFile';

describe('PID files', () => {
  it('accepts a number and whitespace only', () => {
    assert.strictEqual(parsePidFile('1234\n'), 1234);
    assert.strictEqual(parsePidFile('  77 '), 77);
    for (const bad of ['', '0', '-5', '12 34', 'pid=12', '1e3', '99999999999']) assert.strictEqual(parsePidFile(bad), undefined, bad);
  });

  it('resolves paths against the workspace folder and home', () => {
    assert.strictEqual(resolvePidFilePath('run/app.pid', '/ws'), '/ws/run/app.pid');
    assert.strictEqual(resolvePidFilePath('${workspaceFolder}/app.pid', '/ws'), '/ws/app.pid');
    assert.strictEqual(resolvePidFilePath('~/app.pid', undefined), path.join(os.homedir(), 'app.pid'));
    assert.strictEqual(resolvePidFilePath('/var/run/app.pid', undefined), '/var/run/app.pid');
    assert.strictEqual(resolvePidFilePath('app.pid', undefined), undefined, 'relative without a workspace');
    assert.strictEqual(resolvePidFilePath('  ', '/ws'), undefined);
  });

  it('reads a real file, and refuses a big or missing one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-pid-'));
    try {
      fs.writeFileSync(path.join(dir, 'ok.pid'), '4321\n');
      fs.writeFileSync(path.join(dir, 'big.pid'), '1'.repeat(100));
      assert.strictEqual(await readPidFile(path.join(dir, 'ok.pid')), 4321);
      await assert.rejects(readPidFile(path.join(dir, 'big.pid')), /does not hold a PID/);
      await assert.rejects(readPidFile(path.join(dir, 'none.pid')), /does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
