/**
 * Where services really run, as a person sees it:
 *   - a Go service in a memory-limited cgroup (a real one, made for the test) shows its container
 *     limit and working set on the graph, advice about GOMEMLIMIT, a warning as it nears the
 *     limit — and when the kernel's OOM killer ends it, the status bar, a notification and the
 *     graph say so, with the limit;
 *   - a service reached only through a port-forward is watched with "Watch URL…".
 * Screenshots in test-output/e2e/containers-<theme>/.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { createTestCgroup, removeAllTestCgroups, v1MemoryCgroupUnavailable } from '../support/cgroupV1';
import { buildFixture, startProgram, stopAll } from '../support/goFixtures';
import { closeUiSession, openUiSession, packageExtension, screenshotIfFailed, UiSession } from './session';
import { until, Workbench } from './workbench';

const THEMES = { dark: 'Default Dark Modern', light: 'Default Light Modern', 'high-contrast': 'Default High Contrast' } as const;
const MiB = 1024 * 1024;
const READY = /grower listening on 127\.0\.0\.1:(\d+) pid (\d+)/;

/** Asks the grower to allocate and touch `mib` more MiB (it may be killed while it does). */
function grow(port: number, mib: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/grow?mib=${mib}`, method: 'POST', timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** A TCP forwarder like kubectl port-forward. */
async function forwarder(target: number): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe('containers and port-forwards, in the UI', () => {
  let vsix: string;
  let work: string;

  before(function () {
    this.timeout(180_000);
    ({ work, vsix } = packageExtension('containers'));
  });

  after(() => work && fs.rmSync(work, { recursive: true, force: true }));

  for (const [theme, themeName] of Object.entries(THEMES)) {
    describe(`${theme} theme`, function () {
      this.timeout(180_000);
      let session: UiSession | undefined;
      let wb: Workbench;

      before(async () => {
        session = await openUiSession({ vsix, stateDir: path.join(work, `state-${theme}`), userSettings: { 'workbench.colorTheme': themeName, 'memoryWatch.sampleInterval': 250 }, output: `containers-${theme}`, folder: path.join(work, 'ws') });
        wb = session.wb;
      });

      after(async () => {
        await closeUiSession(session);
        await stopAll();
        await removeAllTestCgroups();
      });

      afterEach(async function () {
        await screenshotIfFailed(this.currentTest, wb);
      });

      it('a service in a memory-limited cgroup: its limit and working set, advice, a warning near the limit, then the OOM kill said as such', async function () {
        const unavailable = v1MemoryCgroupUnavailable();
        if (unavailable) this.skip(); // creating a memory cgroup needs root and cgroup v1 (the integration suite prints why)
        const cgroup = createTestCgroup(96 * MiB);
        const agentDir = path.join(work, `agents-${theme}`);
        fs.mkdirSync(agentDir, { recursive: true });
        process.env.MEMORYWATCH_AGENT_DIR = agentDir; // the shell in cgroup.start passes our environment on
        const grower = await cgroup.start(await buildFixture('grower'), ['-agent'], READY);
        delete process.env.MEMORYWATCH_AGENT_DIR;
        const port = Number(grower.match![1]);
        await wb.typeIntoQuickPick('Memory Watch: Attach Memory Watch', 'Attach Memory Watch', String(grower.pid));
        await wb.page.keyboard.press('Enter');
        await until(() => wb.statusItem.innerText(), (t) => /RSS \d/.test(t), 'RSS in the status bar');
        await wb.runCommand('Memory Watch: Show Memory Graph');
        await until(() => wb.graph.locator('#container-keys').innerText(), (t) => /limit 96\.0 MiB/.test(t) && /working set \d/.test(t), 'the container keys in the legend');
        await until(() => wb.graph.locator('#advice').innerText(), (t) => /GOMEMLIMIT is not set, but the container limit is 96\.0 MiB — set it to about 90 % \(GOMEMLIMIT=86MiB\)/.test(t), 'the GOMEMLIMIT advice', 20_000);
        await grow(port, 40);
        await until(() => wb.statusTooltip(), (t) => /Container: working set \d+\.\d MiB of 96\.0 MiB limit, \d+ %/.test(t), 'the headroom in the tooltip');
        await wb.statusItem.hover();
        await wb.screenshot('container-limit-tooltip');
        await wb.page.mouse.move(150, 400);

        // Near the limit (90 %): the diagnosis says so, and the status bar warns. The Go runtime's
        // own overhead varies, so grow in 8 MiB steps until the working set gets there. After each
        // step, wait long enough for the diagnosis to follow (the cgroup is read, the diagnosis
        // made and the graph's summary sent once a second each): one step too many is the OOM kill.
        const nearLimit = /^Working set is \d+ % of the container limit \(\d+\.\d MiB of 96\.0 MiB\)/;
        const diagnosisNearLimit = async (ms: number) => {
          for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
            if (nearLimit.test(await wb.graph.locator('#diagnosis-text').innerText().catch(() => ''))) return true;
          }
          return false;
        };
        await grow(port, 32);
        for (let i = 0; i < 4 && !(await diagnosisNearLimit(4000)); i++) await grow(port, 8);
        await until(() => wb.graph.locator('#diagnosis').innerText(), (t) => nearLimit.test(t), 'the near-limit diagnosis', 20_000);
        // The warning: a warning icon in every theme (high-contrast themes give the warning background no colour), the background where the theme has one.
        await until(() => wb.statusItem.locator('.codicon-warning').count(), (n) => n === 1, 'the warning icon');
        if (theme !== 'high-contrast') await until(() => wb.statusItem.evaluate((el) => getComputedStyle(el).backgroundColor), (c) => c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent', 'the warning background');
        await wb.screenshot('near-limit');

        // Past the limit: the kernel kills it, and everything says so.
        for (let i = 0; i < 6; i++) await grow(port, 16);
        await until(() => wb.statusItem.innerText(), (t) => /grower killed by the OOM killer \(limit 96\.0 MiB\)/.test(t), 'the OOM kill in the status bar', 20_000);
        await wb.notification(/was killed by the OOM killer: its memory cgroup reached its limit of 96\.0 MiB; the cgroup peaked at/).waitFor({ timeout: 20_000 });
        await until(() => wb.graph.locator('#events').innerText(), (t) => /OOM-killed at 96\.0 MiB/.test(t), 'the OOM marker on the graph');
        await wb.screenshot('oom-killed');
        await wb.dismissNotifications();
        await wb.runCommand('Memory Watch: Detach Memory Watch');
      });

      it('a service behind a port-forward, with Watch URL…', async () => {
        const agentDir = path.join(work, `agents-url-${theme}`);
        const target = await startProgram(await buildFixture('sources/agent'), [], /listening on/, { MEMORYWATCH_AGENT_DIR: agentDir });
        const portFile = path.join(agentDir, `${target.pid}.json`);
        await until(async () => fs.existsSync(portFile), (v) => v, 'the port file');
        const agentPort = Number(/:(\d+)$/.exec((JSON.parse(fs.readFileSync(portFile, 'utf8')) as { addr: string }).addr)![1]);
        const fwd = await forwarder(agentPort);
        try {
          // Waits for the input box by its title (the palette's own input was taken for it, and
          // went inert under it in CI), and starts over if the text is not taken.
          await wb.typeIntoQuickPick('Memory Watch: Watch URL', 'Memory Watch: Watch URL', `http://127.0.0.1:${fwd.port}/`);
          await wb.page.keyboard.press('Enter');
          await wb.quickInput.waitFor({ state: 'hidden', timeout: 10_000 });
          await until(() => wb.statusItem.getAttribute('aria-label'), (t) => new RegExp(`RSS \\d.*sources-agent PID ${target.pid}`).test(t ?? ''), 'RSS of the process behind the URL');
          assert.match(await wb.statusTooltip(), new RegExp(`sources-agent — PID ${target.pid} behind http://127\\.0\\.0\\.1:${fwd.port}/`));
          await wb.runCommand('Memory Watch: Show Memory Graph');
          await until(() => wb.graph.locator('#watch-select').innerText(), (t) => new RegExp(`sources-agent \\(PID ${target.pid} via 127\\.0\\.0\\.1:${fwd.port}\\)`).test(t), 'the URL in the selector');
          await until(() => wb.graph.locator('#go-source').innerText(), (t) => /^Go figures: Memory Watch agent at 127\.0\.0\.1:\d+$/.test(t), 'the source');
          await wb.screenshot('watch-url');
        } finally {
          fwd.close();
        }
      });
    });
  }
});
