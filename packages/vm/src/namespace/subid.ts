import { readFileSync } from 'node:fs';

export interface IdRange {
  start: number;
  count: number;
}

/** The first subordinate id range of `user` (name or uid) in an /etc/subuid-style file. */
export function readSubordinateRange(file: string, user: string, uid: number): IdRange | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== user && owner !== String(uid)) continue;
    const range = { start: Number(start), count: Number(count) };
    if (Number.isSafeInteger(range.start) && Number.isSafeInteger(range.count) && range.count > 0) {
      return range;
    }
  }
  return undefined;
}
