/**
 * The client's hang-up, as a host sees it. The node host makes one per request without building an
 * AbortSignal: creating a signal and adding and removing its listener was ~2.5 % of a trivial call's
 * CPU on Node 20, and most calls never need one. The SDK's handlers do, and get `signal`.
 */
export interface HangUp {
  /** Whether the client already hung up. */
  readonly happened: boolean;
  /** Calls `listener` once if the client hangs up; the returned function stops listening. */
  subscribe(listener: () => void): () => void;
  /** The hang-up as an AbortSignal, built on first use (for web Requests given to the SDK). */
  readonly signal: AbortSignal;
}

/** An AbortSignal's abort as a hang-up (the Functions host, whose Request carries the signal). */
export function hangUpOf(signal: AbortSignal): HangUp {
  return {
    get happened() {
      return signal.aborted;
    },
    subscribe(listener) {
      signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    },
    signal,
  };
}

/** A hang-up the host reports by calling `hangUp()` (the node host, on the response's early close). */
export class ReportedHangUp implements HangUp {
  private hung = false;
  private listeners: Array<() => void> | undefined;
  private controller: AbortController | undefined;

  get happened(): boolean {
    return this.hung;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.hung) this.controller.abort();
    }
    return this.controller.signal;
  }

  subscribe(listener: () => void): () => void {
    if (this.hung) return () => undefined;
    (this.listeners ??= []).push(listener);
    return () => {
      const at = this.listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.listeners?.splice(at, 1);
    };
  }

  hangUp(): void {
    if (this.hung) return;
    this.hung = true;
    this.controller?.abort();
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }
}
