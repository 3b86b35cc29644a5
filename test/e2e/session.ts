/**
 * What the themed UI suites set up alike: the extension packaged into a scratch folder, and per
 * theme a code-server with it installed, a headless Chromium page on a folder, screenshots into
 * test-output/e2e/<name>, and a FAILED-… screenshot when a test fails.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, chromium } from 'playwright-core';
import { CodeServer, installVsix, startCodeServer } from '../../scripts/harness/codeServer';
import { CHROMIUM_ARGS, missingVsCodeTools, REPO_ROOT, tools } from '../../scripts/harness/tools';
import { Workbench } from './workbench';
import { packageVsix } from '../../scripts/harness/package';

/** A scratch folder (`work`) holding the packaged extension (`vsix`). Needs up to a minute. */
export function packageExtension(name: string): { work: string; vsix: string } {
  const missing = missingVsCodeTools();
  if (missing) throw new Error(missing);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `mw-e2e-${name}-`));
  const vsix = path.join(work, 'memory-watch.vsix');
  packageVsix(vsix);
  return { work, vsix };
}

export interface UiSession {
  readonly server: CodeServer;
  readonly browser: Browser;
  readonly wb: Workbench;
}

export interface UiSessionOptions {
  readonly vsix: string;
  /** code-server's state (user settings, the installed extension). */
  readonly stateDir: string;
  readonly userSettings: Record<string, unknown>;
  /** Under test-output/e2e/: where the screenshots go (emptied first). */
  readonly output: string;
  /** The workspace folder to open. */
  readonly folder: string;
}

/** code-server with the extension, and a 1400×900 page on `folder`. */
export async function openUiSession(options: UiSessionOptions): Promise<UiSession> {
  await installVsix(options.stateDir, options.vsix);
  const server = await startCodeServer({ stateDir: options.stateDir, userSettings: options.userSettings });
  const browser = await chromium.launch({ executablePath: tools().chromium, args: CHROMIUM_ARGS });
  const out = path.join(REPO_ROOT, 'test-output', 'e2e', options.output);
  fs.rmSync(out, { recursive: true, force: true });
  const wb = new Workbench(await browser.newPage({ viewport: { width: 1400, height: 900 } }), out);
  fs.mkdirSync(options.folder, { recursive: true });
  await wb.open(server.urlFor(options.folder));
  return { server, browser, wb };
}

export async function closeUiSession(session: UiSession | undefined): Promise<void> {
  await session?.browser.close();
  await session?.server.stop();
}

/** For afterEach: a screenshot named after the test that just failed. */
export async function screenshotIfFailed(test: Mocha.Test | undefined, wb: Workbench | undefined): Promise<void> {
  if (test?.state === 'failed') await wb?.screenshot(`FAILED-${test.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
}
