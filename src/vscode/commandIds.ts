/**
 * What each command takes and returns — so registering or running one with the wrong argument is
 * a compile error. The ids and their declarations are in src/shared/commandTable.ts.
 */
import vscode = require('vscode');
import { CommandId } from '../shared/commandTable';
import type { ReleaseReport } from '../core/release/measure';
import type { ComparisonView } from '../shared/protocol';
import type { HistoryViewInfo, WatchInfo } from './api';

export { CommandId } from '../shared/commandTable';

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
  [CommandId.SaveRecording]: { arg: WatchArgument | HistoryRunArgument; result: string | undefined };
  [CommandId.CompareWith]: { arg: RunArgument; result: ComparisonView | undefined };
  [CommandId.ExportCsv]: { arg: RunArgument; result: string | undefined };
  [CommandId.ExportPng]: { arg: unknown; result: boolean };
  /** Opens the heap view on `{ watchId }` (or `{ pid }`), else the current watch; true when it shows one. */
  [CommandId.ShowHeapProfile]: { arg: WatchArgument; result: boolean };
  /** Opens a fleet's memory history from a Prometheus server: `{ url, selector, start?, end?, step? }` (Unix seconds), else asks. */
  [CommandId.OpenFromPrometheus]: { arg: HistoryArgument; result: HistoryViewInfo | undefined };
  /** Keeps a server's credentials in secret storage: `{ url, kind: 'bearer', token }`, `{ url, kind: 'basic', user, password }`, `{ url, kind: 'none' }`, else asks. */
  [CommandId.SetPrometheusCredentials]: { arg: CredentialsArgument; result: boolean };
}

/** Open from Prometheus's argument: a server, a series selector, a range in Unix seconds, a step in seconds. */
export type HistoryArgument = { url?: unknown; selector?: unknown; start?: unknown; end?: unknown; step?: unknown } | undefined;

/** Set Prometheus Credentials' argument. */
export type CredentialsArgument = { url?: unknown; kind?: unknown; token?: unknown; user?: unknown; password?: unknown } | undefined;

/** A Prometheus history open in a view, by its id (the replica it shows is the run). */
export type HistoryRunArgument = { history?: unknown };

/** A run to save, export or compare: `{ recording: uri }` for a recording open in the editor, `{ history: id }` for a Prometheus history, else a watch. */
export type RunArgument = WatchArgument | { recording?: unknown } | HistoryRunArgument;

/** Registers a command with its types checked against CommandTypes. */
export function registerCommand<K extends CommandId>(id: K, handler: (arg: CommandTypes[K]['arg']) => CommandTypes[K]['result'] | Thenable<CommandTypes[K]['result']>): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler);
}

/** Runs one of our commands with its types checked. */
export function runCommand<K extends CommandId>(id: K, ...arg: undefined extends CommandTypes[K]['arg'] ? [CommandTypes[K]['arg']?] : [CommandTypes[K]['arg']]): Thenable<CommandTypes[K]['result']> {
  return vscode.commands.executeCommand<CommandTypes[K]['result']>(id, ...arg);
}
