import type { OnReadOpts, Socket } from 'node:net';

/** Buffer of a relay that is not moving bulk data: what an idle tunnel holds. */
const SMALL = 16 * 1024;
/** Buffer of a relay moving bulk data: a sixteenth of the reads (and wake-ups) of 64 KiB ones. */
const LARGE = 1024 * 1024;
/** Large buffers kept for the next bulk relay, so a busy proxy does not allocate them anew. */
const spare: Buffer[] = [];
const MAX_SPARE = 8;

/**
 * Moves what an upstream socket reads straight into `to`, through the socket's `onread` hook
 * (pass `onread` to `net.connect`): reads land in a buffer this relay owns and reuses, so a
 * bulk transfer allocates nothing per chunk, and read sizes grow to 1 MiB while the kernel
 * has that much queued. Reading pauses while a write to `to` is pending, which is both the
 * backpressure and what keeps the reused buffer safe.
 */
export class Relay {
  readonly onread: OnReadOpts;
  readonly #to: Socket;
  #from: Socket | undefined;
  #buffer: Buffer = Buffer.allocUnsafe(SMALL);
  #pending = false;
  #paused = false;
  #grow = false;
  #shrink = false;

  constructor(to: Socket) {
    this.#to = to;
    this.onread = {
      buffer: () => this.#next(),
      callback: (n: number, buffer: Uint8Array) => this.#data(n, buffer as Buffer),
    };
  }

  /** The socket the relay reads from (the one `onread` was given to). */
  from(socket: Socket): void {
    this.#from = socket;
  }

  #data(n: number, buffer: Buffer): boolean {
    this.#to.write(buffer.subarray(0, n), this.#flushed);
    this.#pending = this.#to.writableLength > 0;
    if (this.#pending) this.#paused = true;
    // Full read: more is queued, so read it in larger pieces; a short one: back to small.
    if (n === buffer.length && buffer.length < LARGE) this.#grow = true;
    else if (n < SMALL && buffer.length === LARGE) this.#shrink = true;
    return !this.#pending;
  }

  #next(): Buffer {
    if (this.#grow) {
      this.#grow = false;
      // The small buffer may still be held by a pending write: it stays, a new large one comes.
      this.#buffer = spare.pop() ?? Buffer.allocUnsafe(LARGE);
    } else if (this.#shrink) {
      this.#shrink = false;
      const large = this.#buffer;
      // A large buffer still held by a pending write is left to the garbage collector.
      if (!this.#pending && spare.length < MAX_SPARE) spare.push(large);
      this.#buffer = Buffer.allocUnsafe(SMALL);
    }
    return this.#buffer;
  }

  readonly #flushed = (error?: Error | null) => {
    if (error || !this.#paused || this.#to.writableLength > 0) return;
    this.#paused = false;
    this.#pending = false;
    this.#from?.resume();
  };
}
