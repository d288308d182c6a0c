import { execFileSync, spawnSync } from 'node:child_process';

export const hasAttrTools = spawnSync('getfattr', ['--version']).status === 0;
if (!hasAttrTools)
  console.warn(
    'skipping extended-attribute tests: getfattr/setfattr (Debian package attr) are not installed',
  );

/** Every extended attribute of `path` itself (symlinks not followed), hex-encoded, by name. */
export function xattrsOf(path: string): Record<string, string> {
  const out = execFileSync(
    'getfattr',
    ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path],
    {
      encoding: 'latin1',
    },
  );
  // getfattr writes other bytes than printable ASCII as octal escapes.
  const unquote = (q: string) =>
    Buffer.from(
      q.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
      'latin1',
    ).toString('utf8');
  const attrs: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (line.startsWith('#') || eq < 0) continue;
    attrs[unquote(line.slice(0, eq))] = line.slice(eq + 1);
  }
  return attrs;
}

export const hex = (s: string | Buffer) => `0x${Buffer.from(s).toString('hex')}`;
