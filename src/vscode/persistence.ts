/**
 * Watches survive a window reload: the identities (PID + start time) of running watches are kept
 * in the workspace state, and on activation each is watched again if — and only if — the very same
 * process is still running. A PID now used by another process is dropped silently.
 */
import vscode = require('vscode');
import { Disposable } from '../core/util/lifecycle';
import { ProcessIdentity } from '../core/sampling/types';
import { WatchRegistry } from '../core/watchRegistry';

const KEY = 'memoryWatch.watchedProcesses';
const MAX_KEPT = 16;

export class WatchPersistence extends Disposable {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly registry: WatchRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  /** Re-attaches to the processes watched before the reload; then keeps the list up to date. */
  async restore(): Promise<void> {
    const saved = parse(this.memento.get<unknown>(KEY));
    for (const identity of saved) {
      try {
        await this.registry.attach(identity.pid, identity);
        this.log.info(`Resumed watching PID ${identity.pid} after reload.`);
      } catch (err) {
        this.log.info(`Not resuming PID ${identity.pid}: ${(err as Error).message}`);
      }
    }
    this.register(this.registry.onDidChange(() => void this.save()));
    await this.save();
  }

  private async save(): Promise<void> {
    const running = this.registry.list().filter((w) => w.state === 'running');
    // The current watch goes last, so it is attached last on restore and becomes current again.
    const current = this.registry.current;
    running.sort((a, b) => Number(a === current) - Number(b === current));
    const identities = running.slice(-MAX_KEPT).map((w) => ({ pid: w.identity.pid, startToken: w.identity.startToken }));
    await this.memento.update(KEY, identities);
  }
}

function parse(value: unknown): ProcessIdentity[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is ProcessIdentity => typeof v === 'object' && v !== null && Number.isSafeInteger((v as ProcessIdentity).pid) && typeof (v as ProcessIdentity).startToken === 'string')
    .slice(0, MAX_KEPT);
}
