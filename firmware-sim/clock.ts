/**
 * Virtual time. The simulator never reads a real clock: flash operations, the UART and the
 * VM advance a `Clock` by the time the hardware would take, and alarms fire as time passes.
 * Time is a number of microseconds since power-on (fractions allowed).
 */

export interface Clock {
  /** Virtual microseconds since the clock was created. */
  now(): number;
  /** Let `us` microseconds pass (>= 0), firing any alarm that falls due on the way. */
  advance(us: number): void;
}

export type AlarmId = number;

interface Alarm {
  id: AlarmId;
  at: number;
  fire: (now: number) => void;
}

/** A deterministic clock with alarms; also the fake used by tests. */
export class VirtualClock implements Clock {
  private t = 0;
  private alarms: Alarm[] = [];
  private nextId = 1;

  constructor(startUs = 0) {
    this.t = startUs;
  }

  now(): number {
    return this.t;
  }

  advance(us: number): void {
    if (!(us >= 0) || !Number.isFinite(us)) throw new RangeError(`clock.advance: bad duration ${us}`);
    const target = this.t + us;
    // Fire due alarms in time order; an alarm may schedule another one inside the window.
    for (;;) {
      const next = this.alarms.reduce<Alarm | undefined>(
        (a, b) => (a === undefined || b.at < a.at ? b : a),
        undefined,
      );
      if (next === undefined || next.at > target) break;
      this.alarms = this.alarms.filter((a) => a !== next);
      this.t = Math.max(this.t, next.at);
      next.fire(this.t);
    }
    this.t = target;
  }

  /** Call `fire` once when the clock reaches `afterUs` microseconds from now. */
  setAlarm(afterUs: number, fire: (now: number) => void): AlarmId {
    const id = this.nextId++;
    this.alarms.push({ id, at: this.t + Math.max(0, afterUs), fire });
    return id;
  }

  cancelAlarm(id: AlarmId): boolean {
    const before = this.alarms.length;
    this.alarms = this.alarms.filter((a) => a.id !== id);
    return this.alarms.length !== before;
  }

  pendingAlarms(): number {
    return this.alarms.length;
  }
}
