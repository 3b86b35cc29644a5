/**
 * Every command Memory Watch contributes, declared once: its id, and what package.json says of it
 * (title, icon, when the palette offers it). package.json repeats the declarations because VS Code
 * reads them before the extension loads; test/unit/manifest.test.ts checks that the two agree.
 * No imports: the webview's protocol (src/shared/protocol.ts) and plain-Node tests read it too. What each
 * command takes and returns is in src/vscode/commandIds.ts.
 */

/** Command ids, so a typo is a compile error. */
export const enum CommandId {
  Attach = 'memoryWatch.attach',
  WatchUrl = 'memoryWatch.watchUrl',
  Detach = 'memoryWatch.detach',
  ShowGraph = 'memoryWatch.showGraph',
  FreeOSMemory = 'memoryWatch.freeOSMemory',
  AddFreeOSMemoryHook = 'memoryWatch.addFreeOSMemoryHook',
  SaveRecording = 'memoryWatch.saveRecording',
  CompareWith = 'memoryWatch.compareWith',
  ExportCsv = 'memoryWatch.exportCsv',
  ExportPng = 'memoryWatch.exportPng',
  ShowHeapProfile = 'memoryWatch.showHeapProfile',
  OpenFromPrometheus = 'memoryWatch.openFromPrometheus',
  SetPrometheusCredentials = 'memoryWatch.setPrometheusCredentials',
}

/** The context key that is true while something is watched (set by the Commands class). */
export const WATCHING_CONTEXT = 'memoryWatch.watching';

/** The palette's category, shared by every command. */
export const COMMAND_CATEGORY = 'Memory Watch';

/** One command as package.json declares it. */
export interface CommandDeclaration {
  readonly title: string;
  /** A product icon: `$(name)`. */
  readonly icon: string;
  /** When the command palette offers it (`menus.commandPalette`); absent: always. */
  readonly paletteWhen?: string;
}

/** Every command, in package.json's order. */
export const COMMANDS: { readonly [K in CommandId]: CommandDeclaration } = {
  [CommandId.Attach]: { title: 'Attach Memory Watch…', icon: '$(pulse)' },
  [CommandId.WatchUrl]: { title: 'Watch URL…', icon: '$(globe)' },
  [CommandId.Detach]: { title: 'Detach Memory Watch', icon: '$(debug-disconnect)', paletteWhen: WATCHING_CONTEXT },
  [CommandId.ShowGraph]: { title: 'Show Memory Graph', icon: '$(graph-line)' },
  [CommandId.FreeOSMemory]: { title: 'Free OS Memory (debug.FreeOSMemory)', icon: '$(trash)', paletteWhen: WATCHING_CONTEXT },
  [CommandId.AddFreeOSMemoryHook]: { title: 'Add FreeOSMemory Hook to This Program', icon: '$(add)' },
  [CommandId.SaveRecording]: { title: 'Save Recording…', icon: '$(save)', paletteWhen: WATCHING_CONTEXT },
  [CommandId.CompareWith]: { title: 'Compare With…', icon: '$(diff)' },
  [CommandId.ExportCsv]: { title: 'Export as CSV…', icon: '$(table)' },
  [CommandId.ExportPng]: { title: 'Export Graph as PNG…', icon: '$(file-media)' },
  [CommandId.ShowHeapProfile]: { title: 'Show Heap Profile', icon: '$(flame)', paletteWhen: WATCHING_CONTEXT },
  [CommandId.OpenFromPrometheus]: { title: 'Open from Prometheus…', icon: '$(history)' },
  [CommandId.SetPrometheusCredentials]: { title: 'Set Prometheus Credentials…', icon: '$(key)' },
};
