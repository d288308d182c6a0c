/** The largest request head accepted (a 431 beyond it). */
export const MAX_HEADER_SIZE = 65_536;

/**
 * Stream buffer size of client sockets. Above a 64 KiB read (the largest a socket delivers),
 * so a bulk splice does not pause and resume reading on every chunk.
 */
export const SOCKET_HIGH_WATER_MARK = 128 * 1024;

/** How long a kept-alive client connection may sit idle between requests. */
export const CLIENT_KEEP_ALIVE_MS = 60_000;
