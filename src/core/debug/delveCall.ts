/**
 * FreeOSMemory with no code change in the target: while it is stopped in Delve, evaluate
 * `call debug.FreeOSMemory()` on the top frame of a goroutine that is running on an OS thread
 * (Delve's DAP "threads" are goroutines; those on a thread carry "(Thread N)" in their name —
 * after a plain Pause the stopped goroutine is often parked, and the call fails).
 */

/** Sends a DAP request and resolves with its body; rejects with the adapter's message. */
export type DapRequest = (command: string, args: Record<string, unknown>) => Promise<unknown>;

export type DelveCallResult = { ok: true } | { ok: false; message: string; hint: string };

export const FREE_OS_MEMORY_EXPRESSION = 'call debug.FreeOSMemory()';

interface Thread {
  id: number;
  name: string;
}

/** One line of advice for Delve's refusals (its message is shown as is, with this after it). */
export function hintFor(delveMessage: string): string {
  const m = delveMessage.toLowerCase();
  if (m.includes('could not find symbol value for debug') || m.includes('could not find symbol')) {
    return 'The program does not link runtime/debug: import it (and call debug.FreeOSMemory somewhere), or use the HTTP hook.';
  }
  if (m.includes('optimized function')) {
    return "The binary is optimized: debug it as Delve builds it (-gcflags='all=-N -l'), or use the HTTP hook.";
  }
  if (m.includes('not running') || m.includes('no goroutine selected') || m.includes('runtime stack') || m.includes('no goroutine')) {
    return "Stop at a breakpoint in the program's own code (after a plain Pause every goroutine may be parked), or use the HTTP hook or signal.";
  }
  if (m.includes('not supported') || m.includes('architecture')) {
    return 'Delve cannot call functions on this platform; use the HTTP hook or signal.';
  }
  if (m.includes('running') || m.includes('not stopped')) return 'Pause the program at a breakpoint first.';
  return 'Use the HTTP hook or signal instead (see the README).';
}

/** Picks the goroutine to call on: the stopped one if it is on a thread, else any on a thread. */
export function chooseThread(threads: readonly Thread[], stoppedThreadId?: number): Thread | undefined {
  const onThread = threads.filter((t) => /\(Thread \d+\)/.test(t.name));
  return onThread.find((t) => t.id === stoppedThreadId) ?? onThread.find((t) => t.name.startsWith('*')) ?? onThread[0];
}

export async function callFreeOSMemory(request: DapRequest, stoppedThreadId?: number): Promise<DelveCallResult> {
  const fail = (message: string): DelveCallResult => ({ ok: false, message, hint: hintFor(message) });
  try {
    const threads = ((await request('threads', {})) as { threads?: Thread[] } | undefined)?.threads ?? [];
    const thread = chooseThread(threads, stoppedThreadId);
    if (!thread) {
      return {
        ok: false,
        message: 'No goroutine is running on an OS thread, so Delve cannot call a function now.',
        hint: "Stop at a breakpoint in the program's own code (after a plain Pause every goroutine may be parked), or use the HTTP hook or signal.",
      };
    }
    const trace = (await request('stackTrace', { threadId: thread.id, startFrame: 0, levels: 1 })) as { stackFrames?: { id: number }[] } | undefined;
    const frameId = trace?.stackFrames?.[0]?.id;
    if (frameId === undefined) return fail(`Delve gave no stack frame for ${thread.name}.`);
    await request('evaluate', { expression: FREE_OS_MEMORY_EXPRESSION, frameId, context: 'repl' });
    return { ok: true };
  } catch (err) {
    return fail((err as Error).message);
  }
}
