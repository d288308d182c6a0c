/** The largest request head accepted (a 431 beyond it). */
export const MAX_HEADER_SIZE = 65_536;
