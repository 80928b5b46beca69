/**
 * A small typed wrapper around Node's EventEmitter: one payload per event, listener types checked.
 * It never emits `error`, so no listener is ever required.
 */
import { EventEmitter } from "node:events";

/** Listener of one event of an event map. */
export type Listener<Events, K extends keyof Events> = (payload: Events[K]) => void;

/** A typed event emitter over the event map `Events` (event name → payload type). */
export class TypedEmitter<Events extends object> {
  private readonly emitter = new EventEmitter();

  /** Adds `listener` for `event`. */
  on<K extends keyof Events & string>(event: K, listener: Listener<Events, K>): this {
    this.emitter.on(event, listener);
    return this;
  }

  /** Adds `listener` for the next `event` only. */
  once<K extends keyof Events & string>(event: K, listener: Listener<Events, K>): this {
    this.emitter.once(event, listener);
    return this;
  }

  /** Removes `listener` from `event`. */
  off<K extends keyof Events & string>(event: K, listener: Listener<Events, K>): this {
    this.emitter.off(event, listener);
    return this;
  }

  /** Calls the listeners of `event` synchronously; true when there was at least one. */
  emit<K extends keyof Events & string>(event: K, payload: Events[K]): boolean {
    return this.emitter.emit(event, payload);
  }

  /** The number of listeners of `event`. */
  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }
}
