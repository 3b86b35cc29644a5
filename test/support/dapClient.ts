/**
 * A small Debug Adapter Protocol client over TCP, for driving a real `dlv dap` from the tests
 * without VS Code: Content-Length framing, request/response matching, and a log of every message
 * the adapter sent (what a DAP tracker in VS Code would see).
 */
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { waitFor } from './wait';

export class DapClient {
  /** Every message from the adapter, in order. */
  readonly received: DebugProtocol.ProtocolMessage[] = [];
  private seq = 1;
  private buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (r: DebugProtocol.Response) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: DebugProtocol.ProtocolMessage) => void>();
  private readonly requestListeners = new Set<(m: DebugProtocol.Request) => void>();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('the debug adapter closed the connection'));
      this.pending.clear();
    });
  }

  static connect(port: number): Promise<DapClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new DapClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request; resolves with the response (success or not). */
  request<R extends DebugProtocol.Response = DebugProtocol.Response>(command: string, args?: unknown, timeoutMs = 60_000): Promise<R> {
    const seq = this.seq++;
    const message: DebugProtocol.Request = { seq, type: 'request', command, arguments: args };
    for (const l of this.requestListeners) l(message);
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    this.socket.write(`Content-Length: ${json.length}\r\n\r\n`);
    this.socket.write(json);
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`no answer to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as R);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Like request(), but rejects with the adapter's message when it answers success: false. */
  async call<R extends DebugProtocol.Response = DebugProtocol.Response>(command: string, args?: unknown): Promise<R> {
    const response = await this.request<R>(command, args);
    if (!response.success) throw new Error(`${command}: ${errorText(response)}`);
    return response;
  }

  /** Resolves with the first event named `event` (already received or still to come) matching `where`. */
  waitForEvent<E extends DebugProtocol.Event = DebugProtocol.Event>(event: string, where: (e: E) => boolean = () => true, timeoutMs = 60_000, after = 0): Promise<E> {
    return waitFor(
      () => this.received.slice(after).find((m): m is E => m.type === 'event' && (m as E).event === event && where(m as E)),
      `the ${event} event`,
      timeoutMs,
    );
  }

  /** Subscribes to every request sent to the adapter (what a tracker's onWillReceiveMessage sees). */
  onRequest(listener: (m: DebugProtocol.Request) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  /** Subscribes to every message from the adapter. */
  onMessage(listener: (m: DebugProtocol.ProtocolMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'));
      if (!m) throw new Error('DAP: a message without Content-Length');
      const length = Number(m[1]);
      const start = headerEnd + 4;
      if (this.buffer.length < start + length) return;
      const message = JSON.parse(this.buffer.subarray(start, start + length).toString('utf8')) as DebugProtocol.ProtocolMessage;
      this.buffer = this.buffer.subarray(start + length);
      this.received.push(message);
      for (const l of this.listeners) l(message);
      if (message.type === 'response') {
        const r = message as DebugProtocol.Response;
        this.pending.get(r.request_seq)?.resolve(r);
        this.pending.delete(r.request_seq);
      }
    }
  }
}

/** The text of an error response, as VS Code shows it: the body's error format, else the message. */
export function errorText(response: DebugProtocol.Response): string {
  const body = response.body as { error?: DebugProtocol.Message } | undefined;
  return body?.error?.format ?? response.message ?? 'failed';
}

export interface DelveServer {
  readonly proc: ChildProcess;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `dlv dap --listen=127.0.0.1:0` and waits for the address it prints. */
export async function startDelve(dlv: string, cwd: string, env: Record<string, string> = {}, wrapper: string[] = []): Promise<DelveServer> {
  const argv = [...wrapper, dlv, 'dap', '--listen=127.0.0.1:0'];
  const proc = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = Number(
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`dlv exited: ${out}`);
      return /listening at: 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    }, 'dlv dap to listen', 30_000),
  );
  return {
    proc,
    port,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}
