/**
 * A small typed event emitter: one payload per event, listener types checked. It keeps its own
 * listener lists instead of wrapping `node:events`, so the client also runs in a browser bundle
 * (docs/compat.md, "In a browser"). The semantics are those of Node's EventEmitter for the calls it
 * offers: listeners run synchronously in the order they were added, the same listener may be added
 * twice (and then runs twice), `off` removes its most recent registration (a `once` registration
 * included), and an `emit` calls the listeners registered when it started. A listener that throws
 * throws out of `emit`; the ones after it do not run. It never emits `error`, so no listener is
 * ever required.
 */

/** Listener of one event of an event map. */
export type Listener<Events, K extends keyof Events> = (payload: Events[K]) => void;

/** One registration: the listener as given, and whether it is removed after its first call. */
interface Registration {
  readonly listener: (payload: never) => void;
  readonly once: boolean;
}

/** A typed event emitter over the event map `Events` (event name → payload type). */
export class TypedEmitter<Events extends object> {
  private readonly registrations = new Map<keyof Events, Registration[]>();

  /** Adds `listener` for `event`. */
  on<K extends keyof Events & string>(event: K, listener: Listener<Events, K>): this {
    return this.add(event, { listener, once: false });
  }

  /** Adds `listener` for the next `event` only. */
  once<K extends keyof Events & string>(event: K, listener: Listener<Events, K>): this {
    return this.add(event, { listener, once: true });
  }

  /** Removes the most recent registration of `listener` for `event` (nothing when there is none). */
  off<K extends keyof Events & string>(event: K, listener: Listener<Events, K>): this {
    const list = this.registrations.get(event);
    if (list === undefined) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.listener === listener) {
        this.registrations.set(event, [...list.slice(0, i), ...list.slice(i + 1)]);
        break;
      }
    }
    return this;
  }

  /** Calls the listeners of `event` synchronously; true when there was at least one. */
  emit<K extends keyof Events & string>(event: K, payload: Events[K]): boolean {
    const list = this.registrations.get(event);
    if (list === undefined || list.length === 0) return false;
    // Lists are replaced, never changed in place: `list` is the snapshot this emit works through.
    for (const registration of list) {
      if (registration.once) this.removeRegistration(event, registration);
      (registration.listener as Listener<Events, K>)(payload);
    }
    return true;
  }

  /** The number of listeners of `event`. */
  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.registrations.get(event)?.length ?? 0;
  }

  private add(event: keyof Events, registration: Registration): this {
    this.registrations.set(event, [...(this.registrations.get(event) ?? []), registration]);
    return this;
  }

  private removeRegistration(event: keyof Events, registration: Registration): void {
    const list = this.registrations.get(event);
    if (list !== undefined) this.registrations.set(event, list.filter((r) => r !== registration));
  }
}
