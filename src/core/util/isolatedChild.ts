/**
 * The child's side of an isolated task (isolatedTask.ts): receives one request and its input,
 * runs the handler, sends one reply (or why not), and exits. A task that runs out of memory or
 * blows its stack here ends this process only; the extension host is told by its exit.
 */
import type { FromIsolatedChild, ToIsolatedChild } from './isolatedTask';

/** What a handler answers: the reply, and anything to say about it. */
export type IsolatedHandler = (request: unknown, input: Buffer | undefined, progress: (progress: unknown) => void) => Promise<unknown>;

/** An error a handler throws with a code the caller knows (e.g. a heap profile error's). */
interface CodedError {
  readonly code?: unknown;
  readonly message?: unknown;
}

/** Serves one task on the IPC channel the extension host opened, then exits. */
export function serveIsolatedTask(handler: IsolatedHandler): void {
  if (!process.send) throw new Error('an isolated task runs as a child process with an IPC channel');
  let request: unknown;
  let expectsInput = false;
  const pieces: Buffer[] = [];
  const reply = (message: FromIsolatedChild): void => {
    process.send!(message, undefined, undefined, () => process.exit(0));
  };
  const run = (): void => {
    const progress = (p: unknown): void => {
      process.send!({ kind: 'progress', progress: p } satisfies FromIsolatedChild);
    };
    handler(request, expectsInput ? Buffer.concat(pieces) : undefined, progress).then(
      (answer) => reply({ kind: 'reply', reply: answer }),
      (err: CodedError) => reply({ kind: 'error', message: typeof err?.message === 'string' ? err.message : String(err), ...(typeof err?.code === 'string' ? { code: err.code } : {}) }),
    );
  };
  process.on('message', (message: ToIsolatedChild) => {
    switch (message?.kind) {
      case 'request':
        request = message.request;
        expectsInput = message.hasInput;
        if (!expectsInput) run();
        break;
      case 'input':
        pieces.push(Buffer.from(message.piece.buffer, message.piece.byteOffset, message.piece.byteLength));
        break;
      case 'end':
        run();
        break;
    }
  });
  // The extension host went away: nobody wants the answer.
  process.on('disconnect', () => process.exit(0));
}
