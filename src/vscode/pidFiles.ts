/**
 * `memoryWatch.pidFiles`: watch the processes named by PID files, at startup and whenever a file
 * changes (the service restarted with a new PID). Failures go to the output channel, not popups:
 * a PID file that does not exist yet is normal before the service starts.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { readPidFile, resolvePidFilePath } from '../core/pidFile';
import { Disposable, IDisposable } from '../core/util/lifecycle';
import { WatchRegistry } from '../core/watchRegistry';
import { affects, SECTION, SettingKey, SettingsService } from './config';

export class PidFileWatcher extends Disposable {
  private watchers: IDisposable[] = [];

  constructor(
    private readonly registry: WatchRegistry,
    settings: SettingsService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(
      settings.onDidChange((event) => {
        if (affects(event, SettingKey.PidFiles)) void this.refresh();
      }),
    );
    this.register({ dispose: () => this.clearWatchers() });
    // Trust granted: the workspace's own PID files count now.
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.refresh()));
  }

  /** (Re)reads the setting: watches each file, attaches to what they name now. */
  async refresh(): Promise<void> {
    this.clearWatchers();
    const trusted = vscode.workspace.isTrusted;
    // Untrusted: only the user's own list (package.json restricts the setting too; this holds even
    // if that changed), and none of its entries that would read a file inside the untrusted folder.
    const config = vscode.workspace.getConfiguration(SECTION);
    const raw = trusted ? config.get<unknown>(SettingKey.PidFiles) : config.inspect<unknown>(SettingKey.PidFiles)?.globalValue;
    const entries = Array.isArray(raw) ? raw.filter((e): e is string => typeof e === 'string') : [];
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    for (const entry of entries) {
      const file = resolvePidFilePath(entry, folder);
      if (!trusted && file && folder && (file === folder || file.startsWith(folder + path.sep))) {
        this.log.info(`memoryWatch.pidFiles: not following ${file} in Restricted Mode (the untrusted folder controls it).`);
        continue;
      }
      if (!file) {
        this.log.warn(`memoryWatch.pidFiles: cannot resolve "${entry}" (relative paths need an open folder).`);
        continue;
      }
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      const onChange = () => void this.attachFrom(file);
      this.watchers.push(watcher, watcher.onDidCreate(onChange), watcher.onDidChange(onChange));
      await this.attachFrom(file);
    }
  }

  private async attachFrom(file: string): Promise<void> {
    try {
      const pid = await readPidFile(file);
      if (this.registry.findRunning(pid)) return;
      const { watch } = await this.registry.attach(pid);
      this.log.info(`Watching ${watch.info.name} (PID ${pid}) from ${file}.`);
    } catch (err) {
      this.log.info(`memoryWatch.pidFiles: ${(err as Error).message}`);
    }
  }

  private clearWatchers(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }
}
