/**
 * Writing into a folder someone else prepared (a cloned repository, a shared export folder): never
 * through a symbolic link, never into a FIFO or a device, never over a file unless asked to
 * replace it — and replacing never changes what another hard link shows. Real files, real links.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspectWriteTarget, RefusedWrite, writeNoFollow } from '../../src/core/util/noFollowWrite';

describe('writing without following links', () => {
  let dir: string;
  let outside: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-nofollow-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outside-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  async function refusal(promise: Promise<unknown>): Promise<string> {
    const err = await promise.then(
      () => assert.fail('written'),
      (e: Error) => e,
    );
    assert.ok(err instanceof RefusedWrite, `${err.name}: ${err.message}`);
    return err.message;
  }

  it('says what is there: nothing, a regular file, or why not', async () => {
    fs.writeFileSync(path.join(dir, 'a.csv'), 'x');
    fs.symlinkSync(path.join(outside, 'b'), path.join(dir, 'dangling.csv'));
    fs.mkdirSync(path.join(dir, 'folder.csv'));
    assert.deepStrictEqual(await inspectWriteTarget(path.join(dir, 'none.csv')), { kind: 'absent' });
    assert.deepStrictEqual(await inspectWriteTarget(path.join(dir, 'a.csv')), { kind: 'file' });
    const link = await inspectWriteTarget(path.join(dir, 'dangling.csv'));
    assert.strictEqual(link.kind, 'refused');
    assert.match(link.kind === 'refused' ? link.reason : '', /^dangling\.csv is a symbolic link \(to .*mw-outside-.*b\)/);
    const folder = await inspectWriteTarget(path.join(dir, 'folder.csv'));
    assert.match(folder.kind === 'refused' ? folder.reason : '', /^folder\.csv is a folder/);
  });

  it('creates a new file; "create" never replaces one that is there', async () => {
    const file = path.join(dir, 'new.csv');
    await writeNoFollow(file, 'one', 'create');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'one');
    assert.match(await refusal(writeNoFollow(file, 'two', 'create')), /^new\.csv already exists/);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'one');
  });

  it('never writes through a symbolic link, to a file or dangling, in either mode', async () => {
    const target = path.join(outside, 'target');
    fs.writeFileSync(target, 'mine');
    fs.symlinkSync(target, path.join(dir, 'link.csv'));
    fs.symlinkSync(path.join(outside, 'absent'), path.join(dir, 'dangling.csv'));
    for (const how of ['create', 'replace'] as const) {
      assert.match(await refusal(writeNoFollow(path.join(dir, 'link.csv'), 'x', how)), /^link\.csv is a symbolic link/);
      assert.match(await refusal(writeNoFollow(path.join(dir, 'dangling.csv'), 'x', how)), /^dangling\.csv is a symbolic link/);
    }
    assert.strictEqual(fs.readFileSync(target, 'utf8'), 'mine');
    assert.ok(!fs.existsSync(path.join(outside, 'absent')));
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['dangling.csv', 'link.csv'], 'no temporary file left');
  });

  it('refuses a FIFO at once (a plain open for writing would wait for a reader)', async function () {
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    assert.match(await refusal(writeNoFollow(fifo, 'x', 'replace')), /^pipe\.csv is a FIFO/);
  });

  it('replaces a regular file; another hard link to it keeps what it had', async () => {
    const file = path.join(dir, 'linked.csv');
    const other = path.join(outside, 'other-name');
    fs.writeFileSync(other, 'theirs');
    fs.linkSync(other, file);
    await writeNoFollow(file, 'ours', 'replace');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'ours');
    assert.strictEqual(fs.readFileSync(other, 'utf8'), 'theirs');
    assert.deepStrictEqual(fs.readdirSync(dir), ['linked.csv'], 'no temporary file left');
  });

  for (const how of ['create', 'replace'] as const) {
    it(`a new file appears whole ("${how}"): whoever sees it reads all of it, never an empty or partial file`, async () => {
      // A CSV export's reader (a UI test once) saw the file at 0 rows: it was created, then written.
      const file = path.join(dir, 'whole.csv');
      const data = Buffer.alloc(64 * 2 ** 20, 0x61);
      const seen = new Set<number>();
      let writing = true;
      const written = writeNoFollow(file, data, how).finally(() => (writing = false));
      while (writing) {
        try {
          seen.add(fs.statSync(file).size);
        } catch {
          seen.add(-1);
        }
        await new Promise((r) => setImmediate(r));
      }
      await written;
      seen.add(fs.statSync(file).size);
      const partial = [...seen].filter((size) => size !== -1 && size !== data.length);
      assert.strictEqual(partial.length, 0, `${partial.length} partial sizes seen while writing, the first ${partial.slice(0, 3).join(', ')}`);
      assert.deepStrictEqual(fs.readdirSync(dir), ['whole.csv'], 'no temporary file left');
    });
  }

  it('"replace" also creates a file that is not there', async () => {
    const file = path.join(dir, 'fresh.csv');
    await writeNoFollow(file, 'data', 'replace');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'data');
  });
});
