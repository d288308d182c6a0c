import type { IdRange } from './subid.ts';

/** One line of /proc/PID/uid_map: `inside outside count`. */
export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

/**
 * How a sandbox's ids relate to the host's. `writer` says who writes the maps: `direct`
 * (we are root), `newidmap` (setuid newuidmap/newgidmap with /etc/subuid ranges) or
 * `single` (only our own id, mapped to root inside; no other users exist in the sandbox).
 */
export interface IdPlan {
  writer: 'direct' | 'newidmap' | 'single';
  uidMap: IdMapping[];
  gidMap: IdMapping[];
  /** Host ids the sandbox user's files belong to; bubblewrap runs as them. */
  hostUid: number;
  hostGid: number;
  /** The sandbox user's ids inside (0 in `single` mode). */
  uid: number;
  gid: number;
}

/** Ids inside a sandbox: 0..65535, like a container. */
export const INSIDE_IDS = 65536;

/**
 * Default host range for sandboxes when sbx runs as root and root has no /etc/subuid entry:
 * far above any login user, so the sandbox's root holds no host privilege.
 */
export const ROOT_DEFAULT_RANGE: IdRange = { start: 0x60000000, count: INSIDE_IDS };

export interface IdPlanInput {
  selfUid: number;
  selfGid: number;
  /** The sandbox user's ids inside (from the image's passwd). */
  uid: number;
  gid: number;
  subuid?: IdRange;
  subgid?: IdRange;
  /** As root: host ids for the sandbox user instead of its place in the range. */
  hostUser?: { uid: number; gid: number };
}

/** Chooses the id maps for a sandbox; pure, so every case is tested without root. */
export function planIds(input: IdPlanInput): IdPlan {
  if (input.selfUid === 0) {
    const ur = wide(input.subuid) ?? ROOT_DEFAULT_RANGE;
    const gr = wide(input.subgid) ?? ROOT_DEFAULT_RANGE;
    const all = (r: IdRange) => [{ inside: 0, outside: r.start, count: INSIDE_IDS }];
    const host = input.hostUser;
    return {
      writer: 'direct',
      uidMap: host ? around(input.uid, host.uid, ur) : all(ur),
      gidMap: host ? around(input.gid, host.gid, gr) : all(gr),
      hostUid: host ? host.uid : ur.start + input.uid,
      hostGid: host ? host.gid : gr.start + input.gid,
      uid: input.uid,
      gid: input.gid,
    };
  }
  if (!input.subuid || !input.subgid) {
    return {
      writer: 'single',
      uidMap: [{ inside: 0, outside: input.selfUid, count: 1 }],
      gidMap: [{ inside: 0, outside: input.selfGid, count: 1 }],
      hostUid: input.selfUid,
      hostGid: input.selfGid,
      uid: 0,
      gid: 0,
    };
  }
  return {
    writer: 'newidmap',
    uidMap: around(input.uid, input.selfUid, input.subuid),
    gidMap: around(input.gid, input.selfGid, input.subgid),
    hostUid: input.selfUid,
    hostGid: input.selfGid,
    uid: input.uid,
    gid: input.gid,
  };
}

function wide(range: IdRange | undefined): IdRange | undefined {
  return range && range.count >= INSIDE_IDS ? range : undefined;
}

/** `self` at `id` inside; the subordinate range fills the ids below and above it. */
function around(id: number, self: number, sub: IdRange): IdMapping[] {
  const total = Math.min(INSIDE_IDS, sub.count + 1);
  const maps: IdMapping[] = [];
  if (id >= total) {
    maps.push({ inside: 0, outside: sub.start, count: total - 1 });
    maps.push({ inside: id, outside: self, count: 1 });
    return maps;
  }
  if (id > 0) maps.push({ inside: 0, outside: sub.start, count: id });
  maps.push({ inside: id, outside: self, count: 1 });
  if (total - id - 1 > 0)
    maps.push({ inside: id + 1, outside: sub.start + id, count: total - id - 1 });
  return maps;
}

/** The map as /proc/PID/uid_map text. */
export function mapText(maps: IdMapping[]): string {
  return maps.map((m) => `${m.inside} ${m.outside} ${m.count}\n`).join('');
}

/** The map as newuidmap/newgidmap arguments after the pid. */
export function mapArgs(maps: IdMapping[]): string[] {
  return maps.flatMap((m) => [String(m.inside), String(m.outside), String(m.count)]);
}

/**
 * How image files must be owned for sandboxes of the current user. As root, sandboxes live
 * in an unprivileged range, so an image unpacked with real ownership must shift every uid
 * and gid by this amount (root-owned files become the sandbox root's); otherwise no shift
 * (a rootless unpack gives the invoking user every file, which is what sandboxes map).
 */
export function imageIdShift(
  selfUid: number,
  subuid: IdRange | undefined,
  subgid: IdRange | undefined,
): { uid: number; gid: number } | undefined {
  if (selfUid !== 0) return undefined;
  return {
    uid: (wide(subuid) ?? ROOT_DEFAULT_RANGE).start,
    gid: (wide(subgid) ?? ROOT_DEFAULT_RANGE).start,
  };
}
