/**
 * Reads a debug session's DAP traffic (what a VS Code debug adapter tracker sees) and reports
 * what Memory Watch cares about: the debuggee's PID (`process` events, including later ones for
 * followed children), when it stops and runs again, and when the session ends.
 *
 * Delve answers a `continue` request without a `continued` event, so "running again" is also
 * read from successful responses to the requests that resume the program.
 */
import { isPid } from '../util/counts';
import type { DebugProtocol } from '@vscode/debugprotocol';

export type SessionChange =
  | { readonly kind: 'pid'; readonly pid: number; readonly name?: string; readonly isLocal: boolean }
  | { readonly kind: 'stopped'; readonly reason: string; readonly threadId?: number }
  | { readonly kind: 'continued' }
  | { readonly kind: 'ended'; readonly reason: 'terminated' | 'exited' };

/** Requests after whose success the debuggee runs again. */
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restartFrame']);

export class DapObserver {
  private readonly resumingRequests = new Set<number>();
  private stoppedNow = false;
  private endedNow = false;

  get stopped(): boolean {
    return this.stoppedNow;
  }

  get ended(): boolean {
    return this.endedNow;
  }

  /** A message from the editor to the adapter. */
  willReceive(message: unknown): SessionChange[] {
    const m = message as DebugProtocol.ProtocolMessage;
    if (m?.type === 'request' && RESUMING.has((m as DebugProtocol.Request).command)) this.resumingRequests.add(m.seq);
    return [];
  }

  /** A message from the adapter to the editor. */
  didSend(message: unknown): SessionChange[] {
    const m = message as DebugProtocol.ProtocolMessage;
    if (!m || typeof m !== 'object') return [];
    if (m.type === 'response') {
      const r = m as DebugProtocol.Response;
      if (!this.resumingRequests.delete(r.request_seq) || !r.success) return [];
      return this.continued();
    }
    if (m.type !== 'event') return [];
    const e = m as DebugProtocol.Event;
    switch (e.event) {
      case 'process': {
        const body = (e as DebugProtocol.ProcessEvent).body;
        const pid = body?.systemProcessId;
        if (!isPid(pid)) return [];
        // The adapter's words are untrusted: a name that is not a string is no name.
        const name = typeof body.name === 'string' && body.name.length <= 4096 ? body.name : undefined;
        // Delve says isLocalProcess: true even when it runs on another machine; the caller checks.
        return [{ kind: 'pid', pid, name, isLocal: body.isLocalProcess !== false }];
      }
      case 'stopped': {
        const body = (e as DebugProtocol.StoppedEvent).body;
        this.stoppedNow = true;
        const reason = typeof body?.reason === 'string' ? body.reason.slice(0, 200) : 'unknown';
        const threadId = Number.isSafeInteger(body?.threadId) ? body.threadId : undefined;
        return [{ kind: 'stopped', reason, threadId }];
      }
      case 'continued':
        return this.continued();
      case 'terminated':
      case 'exited':
        if (this.endedNow) return [];
        this.endedNow = true;
        this.stoppedNow = false;
        return [{ kind: 'ended', reason: e.event }];
      default:
        return [];
    }
  }

  private continued(): SessionChange[] {
    if (!this.stoppedNow) return [];
    this.stoppedNow = false;
    return [{ kind: 'continued' }];
  }
}
