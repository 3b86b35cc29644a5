/**
 * Where the debuggee's PID comes from when the adapter sends no `process` event (Delve's attach
 * mode and noDebug launches, js-debug): the attach configuration, the session's name, the child
 * of the `dlv` process, or `dlv target list` while stopped.
 */
import { isPid, parseCount } from '../util/counts';

/** `processId` of an attach configuration (vscode-go fills it from its picker), if it is a PID. */
export function pidFromAttachConfiguration(configuration: { request?: unknown; processId?: unknown }): number | undefined {
  if (configuration.request !== 'attach') return undefined;
  const raw = configuration.processId;
  const pid = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** js-debug names a child session after its process: "… [12345]". Only read for js-debug types. */
export function pidFromJsDebugSessionName(type: string, name: string): number | undefined {
  if (!/^(pwa-)?(node|chrome|msedge|extensionHost)$|^node-terminal$/.test(type)) return undefined;
  const m = /\[(\d+)\]\s*$/.exec(name);
  const pid = parseCount(m?.[1]);
  return isPid(pid) ? pid : undefined;
}

/** The PID of the current target in the answer to `dlv target list` ("*\t<pid>\t<cmdline>" lines). */
export function parseDlvTargetList(text: string): number | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const current = lines.find((l) => l.startsWith('*')) ?? lines[0];
  const m = current ? /^\*?\s*(\d+)\s/.exec(current) : null;
  const pid = parseCount(m?.[1]);
  return isPid(pid) ? pid : undefined;
}

export interface ProcessRow {
  readonly pid: number;
  readonly ppid?: number;
  readonly name: string;
  readonly commandLine: string;
}

/** Delve's own executables (vscode-go may run it as dlv or dlv-dap). */
function isDelve(p: ProcessRow): boolean {
  return /^dlv(-dap)?$/.test(p.name);
}

/**
 * The debuggee among the children of `dlv` processes. With several candidates, those whose
 * command line mentions `program` (or Delve's `__debug_bin` build) win; still ambiguous means
 * no answer — a wrong PID would be worse than none.
 */
export function findDelveChild(processes: readonly ProcessRow[], program?: string, exclude: ReadonlySet<number> = new Set()): number | undefined {
  const delvePids = new Set(processes.filter(isDelve).map((p) => p.pid));
  let candidates = processes.filter((p) => p.ppid !== undefined && delvePids.has(p.ppid) && !isDelve(p) && !exclude.has(p.pid));
  if (candidates.length > 1) {
    const base = program ? program.replace(/\/+$/, '').split('/').pop() : undefined;
    const matching = candidates.filter((p) => /__debug_bin/.test(p.commandLine) || (base && p.commandLine.includes(base)));
    if (matching.length) candidates = matching;
  }
  return candidates.length === 1 ? candidates[0].pid : undefined;
}

/** Whether a local process is the program a debug adapter named (by path or base name). */
export function sameProgram(adapterName: string, local: { readonly name: string; readonly executable?: string; readonly commandLine: string }): boolean {
  const base = (p: string) => p.replace(/ \(deleted\)$/, '').split(/[\\/]/).pop() ?? p;
  const wanted = base(adapterName.trim().split(/\s+/)[0]);
  const candidates = [local.executable, local.commandLine.split(/\s+/)[0], local.name].filter((c): c is string => !!c).map(base);
  // comm is cut to 15 characters by the kernel.
  return candidates.some((c) => c === wanted || (c.length === 15 && wanted.startsWith(c)));
}
