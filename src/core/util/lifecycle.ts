/**
 * Events and disposables for the core, shaped like VS Code's so the shell can pass them straight
 * through — but without importing `vscode`, so the core runs (and is tested) in plain Node.
 */

/** Something that holds resources until disposed. */
export interface IDisposable {
  dispose(): void;
}

/** A subscription function, as `vscode.Event<T>`. */
export type Event<T> = (listener: (value: T) => void) => IDisposable;

/** Fires values to listeners; a throwing listener does not stop the others. */
export class Emitter<T> implements IDisposable {
  private listeners = new Set<(value: T) => void>();
  private disposed = false;

  /** Subscribe; dispose the result to unsubscribe. */
  readonly event: Event<T> = (listener) => {
    if (this.disposed) return { dispose() {} };
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        // One broken listener must not starve the rest (or break the sampling loop).
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}

/** Base class for long-lived objects: children registered here die with their owner. */
export abstract class Disposable implements IDisposable {
  private readonly children = new Set<IDisposable>();
  private isDisposed = false;

  protected get disposed(): boolean {
    return this.isDisposed;
  }

  protected register<T extends IDisposable>(child: T): T {
    if (this.isDisposed) child.dispose();
    else this.children.add(child);
    return child;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const child of [...this.children].reverse()) child.dispose();
    this.children.clear();
  }
}

/** Wraps a cleanup function as a disposable that runs at most once. */
export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (!done) {
        done = true;
        fn();
      }
    },
  };
}
