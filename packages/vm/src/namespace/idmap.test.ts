import { describe, expect, it } from 'vitest';
import { imageIdShift, mapArgs, mapText, planIds, ROOT_DEFAULT_RANGE } from './idmap.ts';

describe('planIds', () => {
  it('maps the image user onto the invoking user and fills the rest from /etc/subuid', () => {
    const plan = planIds({
      selfUid: 1001,
      selfGid: 1002,
      uid: 1000,
      gid: 1000,
      subuid: { start: 100000, count: 65536 },
      subgid: { start: 200000, count: 65536 },
    });
    expect(plan).toEqual({
      writer: 'newidmap',
      uidMap: [
        { inside: 0, outside: 100000, count: 1000 },
        { inside: 1000, outside: 1001, count: 1 },
        { inside: 1001, outside: 101000, count: 64535 },
      ],
      gidMap: [
        { inside: 0, outside: 200000, count: 1000 },
        { inside: 1000, outside: 1002, count: 1 },
        { inside: 1001, outside: 201000, count: 64535 },
      ],
      hostUid: 1001,
      hostGid: 1002,
      uid: 1000,
      gid: 1000,
    });
  });

  it('maps the invoking user onto root inside when the image user is root', () => {
    const plan = planIds({
      selfUid: 1001,
      selfGid: 1001,
      uid: 0,
      gid: 0,
      subuid: { start: 100000, count: 10 },
      subgid: { start: 100000, count: 10 },
    });
    expect(plan.uidMap).toEqual([
      { inside: 0, outside: 1001, count: 1 },
      { inside: 1, outside: 100000, count: 10 },
    ]);
  });

  it('puts a user above a small subordinate range after it', () => {
    const plan = planIds({
      selfUid: 1001,
      selfGid: 1001,
      uid: 1000,
      gid: 1000,
      subuid: { start: 100000, count: 10 },
      subgid: { start: 100000, count: 10 },
    });
    expect(plan.uidMap).toEqual([
      { inside: 0, outside: 100000, count: 10 },
      { inside: 1000, outside: 1001, count: 1 },
    ]);
  });

  it('without subordinate ids, only the invoking user exists, as root inside', () => {
    const plan = planIds({ selfUid: 1001, selfGid: 1001, uid: 1000, gid: 1000 });
    expect(plan).toMatchObject({
      writer: 'single',
      uidMap: [{ inside: 0, outside: 1001, count: 1 }],
      uid: 0,
      hostUid: 1001,
    });
  });

  it('as root, never maps host root: the sandbox lives in an unprivileged range', () => {
    const plan = planIds({ selfUid: 0, selfGid: 0, uid: 1000, gid: 1000 });
    expect(plan).toEqual({
      writer: 'direct',
      uidMap: [{ inside: 0, outside: ROOT_DEFAULT_RANGE.start, count: 65536 }],
      gidMap: [{ inside: 0, outside: ROOT_DEFAULT_RANGE.start, count: 65536 }],
      hostUid: ROOT_DEFAULT_RANGE.start + 1000,
      hostGid: ROOT_DEFAULT_RANGE.start + 1000,
      uid: 1000,
      gid: 1000,
    });
    expect(plan.uidMap.some((m) => m.outside === 0)).toBe(false);
  });

  it('as root with a host user, maps the sandbox user onto it and the rest onto the range', () => {
    const plan = planIds({
      selfUid: 0,
      selfGid: 0,
      uid: 1000,
      gid: 1000,
      hostUser: { uid: 1001, gid: 1002 },
    });
    const start = ROOT_DEFAULT_RANGE.start;
    expect([plan.uidMap, plan.hostUid, plan.hostGid]).toEqual([
      [
        { inside: 0, outside: start, count: 1000 },
        { inside: 1000, outside: 1001, count: 1 },
        { inside: 1001, outside: start + 1000, count: 64535 },
      ],
      1001,
      1002,
    ]);
  });

  it("as root, uses root's own /etc/subuid range when it is wide enough", () => {
    const plan = planIds({
      selfUid: 0,
      selfGid: 0,
      uid: 0,
      gid: 0,
      subuid: { start: 300000, count: 65536 },
      subgid: { start: 300000, count: 1000 },
    });
    expect([plan.uidMap, plan.gidMap]).toEqual([
      [{ inside: 0, outside: 300000, count: 65536 }],
      [{ inside: 0, outside: ROOT_DEFAULT_RANGE.start, count: 65536 }],
    ]);
  });
});

describe('map formats', () => {
  const maps = [
    { inside: 0, outside: 100000, count: 1000 },
    { inside: 1000, outside: 1001, count: 1 },
  ];
  it('writes /proc uid_map text and newuidmap arguments', () => {
    expect(mapText(maps)).toBe('0 100000 1000\n1000 1001 1\n');
    expect(mapArgs(maps)).toEqual(['0', '100000', '1000', '1000', '1001', '1']);
  });
});

describe('imageIdShift', () => {
  it.each([
    [1000, undefined],
    [0, { uid: ROOT_DEFAULT_RANGE.start, gid: ROOT_DEFAULT_RANGE.start }],
  ])('for uid %s is %j', (uid, shift) => {
    expect(imageIdShift(uid, undefined, undefined)).toEqual(shift);
  });
});
