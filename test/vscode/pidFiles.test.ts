/** memoryWatch.pidFiles: a service named by a PID file is watched, and followed across a restart. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { startSeedServer, stopAll } from '../support/goFixtures';
import { waitFor } from '../support/wait';
import { detachAll, getApi, setSetting } from './util';

describe('PID files', () => {
  const pidFile = path.join(process.env.MEMORY_WATCH_WORKSPACE ?? '/tmp', 'service.pid');

  afterEach(async () => {
    await setSetting('pidFiles', undefined);
    await detachAll(await getApi());
    await stopAll();
    fs.rmSync(pidFile, { force: true });
  });

  it('watches the process a PID file names, and the next one after a restart', async () => {
    const api = await getApi();
    const first = await startSeedServer();
    fs.writeFileSync(pidFile, `${first.pid}\n`);
    await setSetting('pidFiles', ['service.pid']); // relative to the workspace folder
    await waitFor(() => api.watches().some((w) => w.pid === first.pid && w.state === 'running'), 'a watch of the first process', 15_000);

    // The service restarts: a new process writes its PID to the same file.
    await first.stop();
    const second = await startSeedServer();
    fs.writeFileSync(pidFile, `${second.pid}\n`);
    await waitFor(() => api.watches().some((w) => w.pid === second.pid && w.state === 'running'), 'a watch of the restarted process', 15_000);
    assert.strictEqual(api.watches().find((w) => w.current)?.pid, second.pid, 'the status bar follows the new process');
  });

  it('ignores a file that does not hold a PID until it does', async () => {
    const api = await getApi();
    fs.writeFileSync(pidFile, 'not a pid\n');
    await setSetting('pidFiles', [pidFile]);
    const server = await startSeedServer();
    fs.writeFileSync(pidFile, `${server.pid}\n`);
    await waitFor(() => api.watches().some((w) => w.pid === server.pid), 'a watch once the file holds a PID', 15_000);
    assert.deepStrictEqual(
      api.watches().map((w) => w.pid),
      [server.pid],
      'nothing was watched for the garbage',
    );
  });
});
