/**
 * The rows of Memory Watch's quick picks. Most of their text is not ours: process names and
 * command lines, debug session names, recording file names, marker labels, folder names from the
 * workspace. A quick pick draws `$(name)` in a label, description or detail as an icon, so every
 * such text goes through escapeIcons and only our own icons are added around it. Plain objects
 * of a QuickPickItem's shape, so they are unit-tested without VS Code. (Titles and placeholders
 * are plain text in VS Code.)
 */
import { escapeIcons } from '../shared/text';
import type { ProcessInfo } from './processes/processInfo';

/** label / description / detail, as a QuickPickItem has them. */
export interface PickRow {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
}

/** A process in the attach picker. */
export function processRow(p: ProcessInfo, watched: boolean): PickRow {
  const go = p.go ? (p.go.version ? `Go ${p.go.version.replace(/^go/, '')}` : 'Go') : '';
  // Names, versions and command lines are the processes' own: they must not draw icons.
  return {
    label: escapeIcons(p.name),
    description: escapeIcons([go, `PID ${p.pid}`, watched ? 'watched' : ''].filter(Boolean).join(' · ')),
    detail: escapeIcons(p.commandLine || p.executable || ''),
  };
}

/** A debug session in the attach picker (its name is the launch configuration's). */
export function debugSessionRow(s: { readonly name: string; readonly pid: number }, watched: boolean): PickRow {
  return { label: `$(debug) ${escapeIcons(s.name)}`, description: `PID ${s.pid} · debug session${watched ? ' · watched' : ''}` };
}

/** A watch, when a command must pick one. */
export function watchRow(name: string, description: string): PickRow {
  return { label: escapeIcons(name), description };
}

/** Compare With…: a recording open in an editor, by its file name. */
export function recordingRow(fileName: string): PickRow {
  return { label: `$(file) ${escapeIcons(fileName)}`, description: 'recording' };
}

/** Compare With…: another watch. */
export function compareWatchRow(name: string, pid: number, state: string): PickRow {
  return { label: `$(pulse) ${escapeIcons(name)}`, description: `PID ${pid} · ${state}` };
}

/** Compare With…: line the runs up at a marker both have (its label is the target's text or the user's). */
export function alignRow(markerLabel: string): PickRow {
  return { label: `At the first "${escapeIcons(markerLabel)}" marker` };
}

/** Add FreeOSMemory Hook: a package main folder, as the workspace names it, and its real path. */
export function hookFolderRow(relative: string, real: string): PickRow {
  return { label: escapeIcons(relative), description: escapeIcons(real) };
}

/** Open from Prometheus: a service (a `job` value, the server's text). */
export function jobRow(job: string): PickRow {
  return { label: `$(server-process) ${escapeIcons(job)}` };
}

/** Open from Prometheus: one replica, by its pod or instance, with its RSS now (all the server's text). */
export function replicaRow(name: string, detail: string, rssText: string): PickRow {
  return { label: escapeIcons(name), description: rssText, detail: escapeIcons(detail) };
}
