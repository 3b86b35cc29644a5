/**
 * What each command takes and returns — so registering or running one with the wrong argument is
 * a compile error. The ids and their declarations are in src/commandTable.ts.
 */
import vscode = require('vscode');
import { CommandId } from '../commandTable';
import type { ReleaseReport } from '../core/release/measure';
import type { ComparisonView } from '../protocol';
import type { WatchInfo } from './api';

export { CommandId } from '../commandTable';

/** `{ pid }`, `{ watchId }`, or a bare PID number. */
export type WatchArgument = { pid?: unknown; watchId?: unknown } | number | undefined;

/** `{ folder }`: a folder of the workspace (see addHook.ts). */
export type AddHookArgument = { folder?: unknown } | undefined;

/** Each command's argument and result. Arguments are untrusted: anything may call a command. */
export interface CommandTypes {
  [CommandId.Attach]: { arg: WatchArgument; result: WatchInfo | undefined };
  [CommandId.WatchUrl]: { arg: { url?: unknown } | undefined; result: WatchInfo | undefined };
  [CommandId.Detach]: { arg: WatchArgument; result: boolean };
  [CommandId.ShowGraph]: { arg: unknown; result: void };
  [CommandId.FreeOSMemory]: { arg: WatchArgument; result: ReleaseReport | undefined };
  [CommandId.AddFreeOSMemoryHook]: { arg: AddHookArgument; result: string | undefined };
  [CommandId.SaveRecording]: { arg: WatchArgument; result: string | undefined };
  [CommandId.CompareWith]: { arg: RunArgument; result: ComparisonView | undefined };
  [CommandId.ExportCsv]: { arg: RunArgument; result: string | undefined };
  [CommandId.ExportPng]: { arg: unknown; result: boolean };
  /** Opens the heap view on `{ watchId }` (or `{ pid }`), else the current watch; true when it shows one. */
  [CommandId.ShowHeapProfile]: { arg: WatchArgument; result: boolean };
}

/** A run to save, export or compare: `{ recording: uri }` for a recording open in the editor, else a watch. */
export type RunArgument = WatchArgument | { recording?: unknown };

/** Registers a command with its types checked against CommandTypes. */
export function registerCommand<K extends CommandId>(id: K, handler: (arg: CommandTypes[K]['arg']) => CommandTypes[K]['result'] | Thenable<CommandTypes[K]['result']>): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler);
}

/** Runs one of our commands with its types checked. */
export function runCommand<K extends CommandId>(id: K, ...arg: undefined extends CommandTypes[K]['arg'] ? [CommandTypes[K]['arg']?] : [CommandTypes[K]['arg']]): Thenable<CommandTypes[K]['result']> {
  return vscode.commands.executeCommand<CommandTypes[K]['result']>(id, ...arg);
}
