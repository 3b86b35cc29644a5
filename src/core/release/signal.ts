/**
 * The signal way: the program has a handler (signal.Notify on SIGUSR1) that calls
 * debug.FreeOSMemory(). A signal the target does not catch takes its default action — for
 * SIGUSR1/2 that is to terminate — so on Linux we read the target's caught-signal mask first and
 * refuse; elsewhere we cannot see it, so the shell asks the user once per process.
 */
import os = require('os');
import { maskHasSignal, readProcStat, readProcStatus } from '../sampling/procfs';
import { ProcessIdentity, SampleError, toSampleError } from '../sampling/types';

/** Signals the setting accepts: in Go, ignored unless the program asks for them. */
export const RELEASE_SIGNALS = ['SIGUSR1', 'SIGUSR2'] as const;
export type ReleaseSignal = (typeof RELEASE_SIGNALS)[number];

export function isReleaseSignal(name: string): name is ReleaseSignal {
  return (RELEASE_SIGNALS as readonly string[]).includes(name);
}

export type SignalCheck =
  /** Safe: the process has a handler for it. */
  | { verdict: 'catches' }
  /** The OS cannot tell us: ask the user before sending. */
  | { verdict: 'unknown'; message: string }
  /** Do not send: it would kill the process, or it could never work here. */
  | { verdict: 'refuse'; message: string };

/**
 * Decides whether `signal` may be sent to the process. `isGo`: its executable carries Go build
 * information (read from the binary) — only then does a caught SIGUSR1/2 mean a Go handler: other
 * runtimes catch them for their own ends (Node.js opens its inspector on SIGUSR1, which anyone
 * local can then use to run code in it), so for them the user is asked, once per process.
 */
export function checkSignal(identity: ProcessIdentity, signal: ReleaseSignal, name: string, isGo: boolean, platform = process.platform): SignalCheck {
  if (platform === 'win32') {
    return { verdict: 'refuse', message: 'Windows has no signals for this; use the HTTP hook (memoryWatch.freeOSMemory.method = "http").' };
  }
  if (platform !== 'linux') {
    const notGo = isGo ? '' : ` It is not a Go program (no Go build information), so even a handler might do something else (Node.js opens its debugger on SIGUSR1).`;
    return {
      verdict: 'unknown',
      message: `Memory Watch cannot see whether ${name} (PID ${identity.pid}) handles ${signal}. If it does not, ${signal} terminates it.${notGo} Send ${signal}?`,
    };
  }
  const number = os.constants.signals[signal];
  const status = readProcStatus(identity.pid);
  if (maskHasSignal(status.sigCgt, number)) {
    if (isGo) return { verdict: 'catches' };
    return {
      verdict: 'unknown',
      message:
        `${name} (PID ${identity.pid}) is not a Go program (its executable has no Go build information), so Memory Watch cannot tell what its ${signal} handler does — ` +
        `Node.js, for one, opens its debugger on SIGUSR1. Send ${signal} anyway?`,
    };
  }
  if (maskHasSignal(status.sigIgn, number)) {
    return { verdict: 'refuse', message: `${name} (PID ${identity.pid}) ignores ${signal}, so sending it would do nothing. Add a handler that calls debug.FreeOSMemory(), or use the HTTP hook.` };
  }
  return {
    verdict: 'refuse',
    message:
      `Not sending ${signal}: ${name} (PID ${identity.pid}) does not catch it, so it would be terminated. ` +
      `Go programs catch ${signal}; give yours a handler that calls debug.FreeOSMemory(), or use the HTTP hook.`,
  };
}

/**
 * Sends `signal`, after checking (Linux) that the PID still belongs to the same process: between
 * the check and the kill a PID can be reused, and a stranger must not get our signal.
 */
export function sendSignal(identity: ProcessIdentity, signal: ReleaseSignal, platform = process.platform): void {
  const pid = identity.pid;
  if (platform === 'linux') {
    const stat = readProcStat(pid);
    if (stat.startTime !== identity.startToken) throw new SampleError('reused', `Process ${pid} has exited; its PID now belongs to another process. Nothing was sent.`);
  }
  try {
    process.kill(pid, signal);
  } catch (err) {
    const e = toSampleError(err, pid);
    if (e.reason === 'permission') throw new SampleError('permission', `Not permitted to send ${signal} to process ${pid} (it belongs to another user).`);
    throw e;
  }
}
