/**
 * The event listeners of a compat client, with the semantics of the EventEmitter the Web SDKs extend:
 * listeners run synchronously in the order they were added, the same function may be added twice
 * (and then runs twice), removing a listener removes its most recent registration (a `once` one
 * included), and an emit calls the listeners registered when it started. Event names are not
 * checked: like the SDKs, a listener may be added for any name; only the emulated events ever fire
 * (docs/compat.md, "What is emulated").
 *
 * Unlike a bare EventEmitter, a listener that throws does not stop the others or the client's own
 * bookkeeping: its error is thrown again from a microtask, where it is an uncaught error, as a
 * throwing listener of a DOM event is. No `node:` module is used, so this runs in a browser.
 */

/** Any listener. */
export type AnyListener = (...args: never[]) => unknown;

interface Registration {
  readonly listener: AnyListener;
  readonly once: boolean;
}

/** Listener lists by event name. */
export class ListenerRegistry {
  private readonly lists = new Map<string, readonly Registration[]>();

  /** Adds `listener` for `event`. */
  add(event: string, listener: AnyListener, once = false): void {
    checkListener(listener);
    this.lists.set(event, [...(this.lists.get(event) ?? []), { listener, once }]);
  }

  /** Removes the most recent registration of `listener` for `event`; nothing when there is none. */
  remove(event: string, listener: AnyListener): void {
    const list = this.lists.get(event);
    if (list === undefined) return;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.listener === listener) {
        this.set(event, [...list.slice(0, i), ...list.slice(i + 1)]);
        return;
      }
    }
  }

  /** Removes every listener of `event`, or of every event when `event` is undefined. */
  removeAll(event?: string): void {
    if (event === undefined) this.lists.clear();
    else this.lists.delete(event);
  }

  /** The listeners of `event`, in order (as given, `once` ones included). */
  listeners(event: string): AnyListener[] {
    return (this.lists.get(event) ?? []).map((r) => r.listener);
  }

  /** The number of listeners of `event`. */
  count(event: string): number {
    return this.lists.get(event)?.length ?? 0;
  }

  /** Calls the listeners of `event` with `args`; true when there was at least one. */
  emit(event: string, ...args: readonly unknown[]): boolean {
    const list = this.lists.get(event);
    if (list === undefined || list.length === 0) return false;
    for (const registration of list) {
      if (registration.once) this.set(event, (this.lists.get(event) ?? []).filter((r) => r !== registration));
      try {
        (registration.listener as (...a: readonly unknown[]) => unknown)(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return true;
  }

  private set(event: string, list: readonly Registration[]): void {
    if (list.length === 0) this.lists.delete(event);
    else this.lists.set(event, list);
  }
}

/** Throws a TypeError unless `listener` is a function (the SDKs' EventEmitter does the same). */
function checkListener(listener: unknown): void {
  if (typeof listener !== "function") throw new TypeError(`The "listener" argument must be a function; got ${listener === null ? "null" : typeof listener}`);
}
