/**
 * One task on untrusted input — parsing a recording someone sent, decoding a heap profile a target
 * served — in a child process of its own, with its own heap limit and a deadline. Why a process
 * and not a worker thread: a worker's `resourceLimits` do not protect the process that started it
 * (nodejs/node#47224): JSON.parse of 10 million nested arrays in a worker aborted the whole
 * extension host, every extension with it. A child that runs out of memory, loops or crashes costs
 * nothing but itself: it is killed, and the caller gets one line saying why.
 *
 * The child is `process.execPath` (Node; VS Code's Electron with ELECTRON_RUN_AS_NODE, as language
 * servers are started) on a script of ours (isolatedChild.ts serves it). Messages use Node's
 * "advanced" serialization: typed arrays cross as bytes, not as JSON numbers. Input bytes go in
 * pieces of at most INPUT_PIECE_BYTES, one message each, so no single write copies tens of MiB
 * on the extension host's thread.
 */
import { ChildProcess, fork } from 'child_process';
import os = require('os');

/** Why a task ended without an answer. */
export type IsolatedTaskFailure = 'failed' | 'out-of-memory' | 'timeout' | 'aborted' | 'crashed';

/** A task that ended without an answer; `message` can be shown as is, `code` is the child's own (e.g. a heap profile error code). */
export class IsolatedTaskError extends Error {
  constructor(
    readonly failure: IsolatedTaskFailure,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'IsolatedTaskError';
  }
}

/** Host → child. */
export type ToIsolatedChild = { readonly kind: 'request'; readonly request: unknown; readonly hasInput: boolean } | { readonly kind: 'input'; readonly piece: Uint8Array } | { readonly kind: 'end' };

/** Child → host. */
export type FromIsolatedChild =
  | { readonly kind: 'reply'; readonly reply: unknown }
  | { readonly kind: 'error'; readonly message: string; readonly code?: string }
  /** How far a long task has come (a fetch in parts): handed to `onProgress` as it is. */
  | { readonly kind: 'progress'; readonly progress: unknown };

export interface IsolatedTaskOptions {
  /** The child's script (see resolveWorkerScript). */
  readonly script: string;
  /** What the task is, for messages: "the recording", "the heap profile". */
  readonly what: string;
  /** The child's V8 heap limit, MiB. */
  readonly heapMb: number;
  /** The child is killed after this long without an answer, ms. */
  readonly timeoutMs: number;
  /** Bytes handed to the task as they are (a file's or a body's), in pieces. */
  readonly input?: readonly Uint8Array[];
  readonly signal?: AbortSignal;
  /** Called with each progress message the child sends (untrusted in shape: the caller checks it). */
  readonly onProgress?: (progress: unknown) => void;
}

/** Input goes over in messages of at most this many bytes. */
export const INPUT_PIECE_BYTES = 1024 * 1024;
/** What the child writes to stderr is kept up to this much, to say why it died. */
const MAX_STDERR_BYTES = 8 * 1024;

/** Runs `request` in a fresh child process; resolves with its reply, rejects with an {@link IsolatedTaskError}. */
export function runIsolatedTask<Reply>(request: unknown, options: IsolatedTaskOptions): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new IsolatedTaskError('aborted', `Reading ${options.what} was cancelled.`));
    let child: ChildProcess;
    try {
      child = fork(options.script, [], {
        execArgv: [`--max-old-space-size=${options.heapMb}`, '--max-semi-space-size=16'],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        // The user's NODE_OPTIONS (an --inspect, a --require) are not for our child.
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' },
      });
    } catch (err) {
      return reject(new IsolatedTaskError('crashed', `Could not start a process to read ${options.what}: ${(err as Error).message}`));
    }
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8', 0, MAX_STDERR_BYTES - stderr.length);
    });
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.removeAllListeners('message');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      outcome();
    };
    const fail = (failure: IsolatedTaskFailure, message: string, code?: string) => finish(() => reject(new IsolatedTaskError(failure, message, code)));
    const timer = setTimeout(() => fail('timeout', `Reading ${options.what} took longer than ${Math.round(options.timeoutMs / 1000)} s: stopped.`), options.timeoutMs);
    const onAbort = () => fail('aborted', `Reading ${options.what} was cancelled.`);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: FromIsolatedChild) => {
      if (message?.kind === 'progress') {
        if (!settled) options.onProgress?.(message.progress);
      } else if (message?.kind === 'reply') finish(() => resolve(message.reply as Reply));
      else if (message?.kind === 'error') fail('failed', String(message.message).slice(0, 1000), typeof message.code === 'string' ? message.code : undefined);
    });
    child.on('error', (err) => fail('crashed', `The process reading ${options.what} failed: ${err.message}`));
    child.on('exit', (code, signal) => {
      // The child's stderr may still be arriving: give it a moment to say why it died.
      setTimeout(() => {
        if (/heap out of memory|Allocation failed/i.test(stderr) || signal === 'SIGABRT' || code === 134) {
          fail('out-of-memory', `Reading ${options.what} needs more than the ${options.heapMb} MiB allowed: stopped.`);
        } else if (/Maximum call stack/i.test(stderr)) {
          fail('out-of-memory', `${capitalize(options.what)} is nested too deeply to read: stopped.`);
        } else {
          fail('crashed', `The process reading ${options.what} stopped (${signal ?? `exit code ${code}`}) without an answer.`);
        }
      }, 50);
    });

    // The child reads from its own priority's CPU share: a busy parse yields to the editor.
    try {
      if (child.pid) os.setPriority(child.pid, 10);
    } catch {
      // Not permitted here: it runs at normal priority.
    }
    void sendAll(child, request, options.input).catch((err: Error) => fail('crashed', `Could not hand ${options.what} to the process reading it: ${err.message}`));
  });
}

/** The request, then the input in pieces (each waits for the last to be written: bounded memory, no long copy). */
async function sendAll(child: ChildProcess, request: unknown, input: readonly Uint8Array[] | undefined): Promise<void> {
  const send = (message: ToIsolatedChild) =>
    new Promise<void>((resolve, reject) => {
      if (!child.connected) return reject(new Error('the process has gone'));
      child.send(message, (err) => (err ? reject(err) : resolve()));
    });
  await send({ kind: 'request', request, hasInput: input !== undefined });
  if (!input) return;
  for (const chunk of input) {
    for (let at = 0; at < chunk.byteLength; at += INPUT_PIECE_BYTES) await send({ kind: 'input', piece: chunk.subarray(at, at + INPUT_PIECE_BYTES) });
  }
  await send({ kind: 'end' });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
