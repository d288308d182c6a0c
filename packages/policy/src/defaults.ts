/**
 * Always blocked, on top of `blockCidrs`, unless an allowed CIDR carves them out: private,
 * loopback and link-local ranges, plus 0.0.0.0/8 and ::/128, which reach the local host on Linux.
 */
export const DEFAULT_BLOCKED_CIDRS: readonly string[] = Object.freeze([
  '0.0.0.0/8',
  '10.0.0.0/8',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::/128',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
]);
