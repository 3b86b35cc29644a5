/**
 * "Attach Memory Watch…": a filterable list of local processes (Go programs marked and listed
 * first), and typing a number offers "Attach to PID n" at the top, so Enter attaches to it.
 */
import vscode = require('vscode');
import { listProcesses, ProcessInfo } from '../core/processes/processInfo';
import { debugSessionRow, processRow } from '../core/pickItems';

interface ProcessItem extends vscode.QuickPickItem {
  readonly pid: number;
}

const PID_PATTERN = /^\s*(\d{1,10})\s*$/;

function itemFor(p: ProcessInfo, watched: ReadonlySet<number>): ProcessItem {
  return { pid: p.pid, ...processRow(p, watched.has(p.pid)) };
}

/** Go programs first (the likely targets), then everything else; most recent PIDs first within each. */
export function orderForPicker(list: readonly ProcessInfo[], selfPid: number): ProcessInfo[] {
  return list.filter((p) => p.pid !== selfPid).sort((a, b) => Number(!!b.go) - Number(!!a.go) || b.pid - a.pid);
}

/** The item that switches to Watch URL… (a process reached through a port-forward). */
const URL_ITEM_PID = -2;

/**
 * Shows the picker; resolves with the chosen PID, 'url' for "Watch URL…", or undefined when
 * dismissed. Debug sessions come first.
 */
export async function pickProcess(watchedPids: ReadonlySet<number>, debugSessions: readonly { name: string; pid: number }[] = []): Promise<number | 'url' | undefined> {
  const quickPick = vscode.window.createQuickPick<ProcessItem>();
  quickPick.title = 'Attach Memory Watch';
  quickPick.placeholder = 'Pick a process, or type a PID and press Enter';
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  quickPick.busy = true;
  let processItems: ProcessItem[] = [];

  const refreshItems = () => {
    const typed = PID_PATTERN.exec(quickPick.value);
    const byPid = typed ? processItems.find((i) => i.pid === Number(typed[1])) : undefined;
    const pidItem: ProcessItem[] = typed
      ? [{ pid: Number(typed[1]), label: `$(debug-start) Attach to PID ${typed[1]}`, description: byPid?.label ?? '', alwaysShow: true }]
      : [];
    const sessionItems: ProcessItem[] = debugSessions.length
      ? [
          { pid: -1, label: 'Debug sessions', kind: vscode.QuickPickItemKind.Separator },
          ...debugSessions.map((s) => ({ pid: s.pid, ...debugSessionRow(s, watchedPids.has(s.pid)) })),
          { pid: -1, label: 'Processes', kind: vscode.QuickPickItemKind.Separator },
        ]
      : [];
    const urlItem: ProcessItem = { pid: URL_ITEM_PID, label: '$(globe) Watch URL…', description: 'a process reached through kubectl port-forward or a published port', alwaysShow: false };
    quickPick.items = [...pidItem, ...sessionItems, urlItem, ...processItems];
    if (pidItem.length) quickPick.activeItems = [quickPick.items[0]];
  };

  return new Promise<number | 'url' | undefined>((resolve) => {
    let done = false;
    const finish = (pid: number | 'url' | undefined) => {
      if (done) return;
      done = true;
      resolve(pid);
      quickPick.dispose();
    };
    quickPick.onDidChangeValue(refreshItems);
    quickPick.onDidAccept(() => {
      const picked = quickPick.activeItems[0] ?? quickPick.selectedItems[0];
      const typed = PID_PATTERN.exec(quickPick.value);
      // Typed a PID: Enter can come before the list caught up with the typing (the active row is
      // then whatever was first before it). A row counts only if its PID has the typed digits.
      if (typed) return finish(picked && picked.pid > 0 && String(picked.pid).includes(typed[1]) ? picked.pid : Number(typed[1]));
      if (picked?.pid === URL_ITEM_PID) return finish('url');
      finish(picked && picked.pid > 0 ? picked.pid : undefined);
    });
    quickPick.onDidHide(() => finish(undefined));
    // Debug sessions are known already: list them at once, processes follow when listed.
    refreshItems();
    quickPick.show();
    listProcesses()
      .then((list) => {
        processItems = orderForPicker(list, process.pid).map((p) => itemFor(p, watchedPids));
        quickPick.busy = false;
        refreshItems();
      })
      .catch((err: unknown) => {
        quickPick.busy = false;
        quickPick.placeholder = `Could not list processes (${(err as Error).message}); type a PID and press Enter`;
        refreshItems();
      });
  });
}
