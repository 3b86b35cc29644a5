/**
 * Posts to a webview in order, at most one long message per turn of the event loop. A graph's
 * state can be several messages (protocol.ts graphStateMessages: a long series in parts, since
 * each post costs the extension host in proportion to its bytes); whatever is posted while parts
 * are still going out waits behind them, so the webview gets every message in the order sent.
 */
import { Disposable } from '../core/util/lifecycle';

export class WebviewPoster<M> extends Disposable {
  private queue: M[] = [];
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly send: (message: M) => void) {
    super();
    this.register({ dispose: () => this.clear() });
  }

  /** Parts still waiting to go out. */
  get busy(): boolean {
    return this.queue.length > 0;
  }

  /** Posts `messages` in order: the first now (unless others wait), the rest one per turn. */
  post(...messages: M[]): void {
    this.queue.push(...messages);
    if (this.timer === undefined) this.next();
  }

  /** Drops what has not gone out (the webview went away, or a new state replaces it). */
  clear(): void {
    this.queue = [];
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private next(): void {
    this.timer = undefined;
    const message = this.queue.shift();
    if (message === undefined) return;
    this.send(message);
    if (this.queue.length) this.timer = setTimeout(() => this.next(), 0);
  }
}
