/** The largest request head accepted (a 431 beyond it). */
export const MAX_HEADER_SIZE = 65_536;

/** Sockets buffer up to this much before pushing back: 64 KiB reads then pass in one write. */
export const HIGH_WATER_MARK = 256 * 1024;
