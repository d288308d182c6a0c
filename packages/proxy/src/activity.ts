import type { Socket } from 'node:net';

// Idle timeouts without a timer per socket: the proxy's sweeps count the bytes a connection
// read and wrote, a few times per timeout. A socket timeout re-arms a timer on every read and
// write instead, which the cold path of each event of a stream paid.

/** How long nothing has moved on a socket, as the sweeps see it. */
export class Activity {
  #moved = 0;
  #at: number;

  constructor(now = performance.now()) {
    this.#at = now;
  }

  /** Counts quiet time from `now` (a connection that just became usable). */
  restart(now: number): void {
    this.#at = now;
  }

  /** Milliseconds since bytes last moved on `socket`, as of this sweep. */
  quietFor(socket: Socket, now: number): number {
    const moved = socket.bytesRead + (socket.bytesWritten ?? 0);
    if (moved !== this.#moved) {
      this.#moved = moved;
      this.#at = now;
    }
    return now - this.#at;
  }
}

/** A sweep's interval: a few sweeps per `shortestMs` deadline, from 50 ms to `maxMs`. */
export function sweepEvery(shortestMs: number, maxMs: number): number {
  return Math.max(50, Math.min(maxMs, Math.floor(shortestMs / 4)));
}
