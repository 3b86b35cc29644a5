/**
 * `memoryWatch.pidFiles` and `memoryWatch.followCommandLines`: the processes they name are
 * watched, and followed across restarts in one graph (core/follow.ts). PID files are re-read
 * whenever they change; command-line patterns are looked for while no process of theirs runs.
 * Failures go to the output channel, not popups: a PID file that does not exist yet is normal
 * before the service starts.
 */
import path = require('path');
import vscode = require('vscode');
import { Follower, FollowTarget } from '../core/follow';
import { readPidFile, resolvePidFilePath } from '../core/pidFile';
import { ProcessTable } from '../core/processes/processTable';
import { Disposable, IDisposable } from '../core/util/lifecycle';
import { WatchRegistry } from '../core/watchRegistry';
import { affects, readSetting, SettingsService } from './config';

export class PidFileWatcher extends Disposable {
  private watchers: IDisposable[] = [];
  readonly follower: Follower;
  /** What the command-line patterns look in: one scan for all of them, new processes only between full scans. */
  private readonly processes = new ProcessTable();

  constructor(
    registry: WatchRegistry,
    private readonly settings: SettingsService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.follower = this.register(new Follower(registry, (m) => log.info(m)));
    this.register({ dispose: () => this.clearWatchers() });
    this.register(
      settings.onDidChange((event) => {
        if (affects(event, 'pidFiles')) void this.refresh();
        if (affects(event, 'followCommandLines')) this.refreshPatterns();
      }),
    );
    // Trust granted: the workspace's own PID files count now.
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.refresh()));
  }

  /** (Re)reads both settings and follows what they name. */
  async refresh(): Promise<void> {
    this.refreshPatterns();
    this.clearWatchers();
    const trusted = vscode.workspace.isTrusted;
    // Untrusted: only the user's own list (the settings table reads it so: package.json restricts
    // the setting too, and this holds even if that changed), and none of its entries that would
    // read a file inside the untrusted folder.
    const raw = readSetting('pidFiles');
    const entries = Array.isArray(raw) ? raw.filter((e): e is string => typeof e === 'string') : [];
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const targets: FollowTarget[] = [];
    for (const entry of entries) {
      const file = resolvePidFilePath(entry, folder);
      if (!file) {
        this.log.warn(`memoryWatch.pidFiles: cannot resolve "${entry}" (relative paths need an open folder).`);
        continue;
      }
      if (!trusted && folder && (file === folder || file.startsWith(folder + path.sep))) {
        this.log.info(`memoryWatch.pidFiles: not following ${file} in Restricted Mode (the untrusted folder controls it).`);
        continue;
      }
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      const onChange = () => this.follower.poke();
      this.watchers.push(watcher, watcher.onDidCreate(onChange), watcher.onDidChange(onChange));
      targets.push({
        key: `pidfile:${file}`,
        description: `the PID file ${file}`,
        // A missing file is normal before the service starts: the follower logs it once.
        current: () =>
          readPidFile(file).catch((err: Error) => {
            throw new Error(`memoryWatch.pidFiles: ${err.message}`);
          }),
      });
    }
    this.follower.setTargets('pidFiles', targets);
  }

  /**
   * Command-line patterns (checked by the settings: valid, bounded). In Restricted Mode VS Code
   * gives only the user's own value (package.json restrictedConfigurations).
   */
  private refreshPatterns(): void {
    const patterns = this.settings.value.follow;
    this.follower.setTargets(
      'commandLines',
      patterns.map((re) => ({
        key: `pattern:${re.source}`,
        description: `processes matching /${re.source}/`,
        current: async () => (await this.processes.find((commandLine) => re.test(commandLine)).catch(() => []))[0]?.pid,
      })),
    );
  }

  private clearWatchers(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }
}
