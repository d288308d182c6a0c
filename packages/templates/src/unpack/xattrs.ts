import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import type { Node } from './tree.ts';
import { UnsafePathError } from './tree.ts';

/** Extended attributes an unpack set, and those it left out by namespace (`security.capability`, `trusted`…). */
export interface XattrStats {
  applied: number;
  skipped: Record<string, number>;
}

/** The user.* attributes kept for one tree node, set after every layer applied. */
export interface NodeXattrs {
  attrs: [name: string, value: Buffer][];
  /** The file's mode, to lend it owner write while setting attributes rootless. */
  mode: number;
}

/** The kernel's limits (XATTR_NAME_MAX, XATTR_SIZE_MAX): larger ones could never be set. */
const NAME_MAX = 255;
const VALUE_MAX = 65536;
/** user.* attribute bytes held until the end of an unpack; more refuses the image. */
const HELD_MAX = 16 * 2 ** 20;
/** user.* names that overlay implementations read as their own metadata (rootless overlayfs, fuse-overlayfs). */
const OVERLAY = ['user.overlay.', 'user.fuseoverlayfs.', 'user.containers.'];

/**
 * Sorts an entry's attributes: user.* ones are kept for `applyXattrs`; security.* (file
 * capabilities, LSM labels), trusted.*, system.* (ACLs, naming host ids) and overlay
 * metadata are counted and never set.
 */
export class XattrFilter {
  readonly stats: XattrStats = { applied: 0, skipped: {} };
  /** First entry that carried each skipped kind, for the warning. */
  readonly examples = new Map<string, string>();
  held = 0;
  nodes = 0;

  keep(
    entry: string,
    xattrs: ReadonlyMap<string, Buffer>,
    kind: Node['kind'],
    mode: number,
  ): NodeXattrs | undefined {
    const attrs: [string, Buffer][] = [];
    for (const [name, value] of xattrs) {
      const reason = skipReason(name, value, kind);
      if (reason) {
        this.stats.skipped[reason] = (this.stats.skipped[reason] ?? 0) + 1;
        if (!this.examples.has(reason)) this.examples.set(reason, entry);
        continue;
      }
      this.held += name.length + value.length;
      if (this.held > HELD_MAX) {
        throw new UnsafePathError(
          `the image declares more than ${HELD_MAX} bytes of extended attributes`,
        );
      }
      attrs.push([name, value]);
    }
    if (attrs.length === 0) return undefined;
    this.nodes++;
    return { attrs, mode };
  }

  /** One line naming what was left out, or undefined when nothing was. */
  skippedMessage(): string | undefined {
    const parts = Object.entries(this.stats.skipped).map(
      ([reason, n]) => `${n} ${reason} (first on "${this.examples.get(reason)}")`,
    );
    if (parts.length === 0) return undefined;
    return `extended attributes not applied: ${parts.join(', ')}; file capabilities, security labels, ACLs, trusted.* and overlay metadata from images are never set`;
  }
}

function skipReason(name: string, value: Buffer, kind: Node['kind']): string | undefined {
  if (name.startsWith('security.')) return name === 'security.capability' ? name : 'security.*';
  if (name.startsWith('trusted.')) return 'trusted.*';
  if (name.startsWith('system.')) return 'system.*';
  if (!name.startsWith('user.') || name === 'user.') return 'unknown namespace';
  if (OVERLAY.some((p) => name.startsWith(p))) return 'overlay metadata (user.overlay.* …)';
  // The kernel allows user.* only on regular files and directories.
  if (kind === 'symlink') return 'user.* on a symlink';
  if (Buffer.byteLength(name) > NAME_MAX || value.length > VALUE_MAX) return 'oversized user.*';
  return undefined;
}

/** Every node holding attributes, with its path relative to the root. */
function collect(root: Node): { rel: string; node: Node; x: NodeXattrs }[] {
  const out: { rel: string; node: Node; x: NodeXattrs }[] = [];
  const walk = (node: Node, rel: string): void => {
    if (node.xattrs) out.push({ rel, node, x: node.xattrs });
    if (!node.children) return;
    for (const [name, child] of node.children) walk(child, rel === '' ? name : `${rel}/${name}`);
  };
  walk(root, '');
  return out;
}

/** getfattr's quoting, which `setfattr --restore` undoes: octal escapes for bytes it would misread. */
export function quote(s: string): string {
  if (/^[\x21-\x3c\x3e-\x5b\x5d-\x7e]*$/.test(s)) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out +=
      b > 0x20 && b < 0x7f && b !== 0x5c && b !== 0x3d
        ? String.fromCharCode(b)
        : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * Sets the kept user.* attributes on the tree at `rootPath` with one `setfattr -h --restore=-`
 * process (the paths are the unpacker's resolved in-root paths, and -h never follows a final
 * symlink). Without setfattr, or where the filesystem refuses, it warns instead of failing.
 */
export async function applyXattrs(
  rootPath: string,
  tree: Node,
  filter: XattrFilter,
  warn: (message: string) => void,
): Promise<void> {
  const skipped = filter.skippedMessage();
  if (skipped) warn(skipped);
  if (filter.nodes === 0) return;
  const found = collect(tree);
  if (found.length === 0) return;
  const count = found.reduce((n, f) => n + f.x.attrs.length, 0);
  const rootless = process.geteuid?.() !== 0;
  const lent: { path: string; mode: number }[] = [];
  let dump = '';
  for (const { rel, node, x } of found) {
    const path = rel === '' ? rootPath : `${rootPath}/${rel}`;
    if (rootless && node.kind === 'file' && (x.mode & 0o200) === 0) {
      chmodSync(path, x.mode | 0o200);
      lent.push({ path, mode: x.mode });
    }
    dump += `# file: ${quote(path)}\n`;
    for (const [name, value] of x.attrs)
      dump += `${quote(name)}=${value.length === 0 ? '""' : `0x${value.toString('hex')}`}\n`;
    dump += '\n';
  }
  try {
    const result = await setfattr(dump);
    if (result === 'missing') {
      filter.stats.skipped['user.* (no setfattr)'] = count;
      warn(
        `${count} user.* extended attribute(s) not applied: setfattr is not installed (Debian package "attr")`,
      );
      return;
    }
    const failed = result.split('\n').filter(Boolean);
    filter.stats.applied = count - Math.min(failed.length, count);
    if (failed.length > 0) {
      filter.stats.skipped['user.* (refused by the filesystem)'] = failed.length;
      warn(
        `${failed.length} of ${count} user.* extended attribute(s) not applied: ${failed[0]!.replace(`${rootPath}/`, '')}`,
      );
    }
  } finally {
    for (const { path, mode } of lent) chmodSync(path, mode);
  }
}

/** Runs setfattr on the dump; its stderr (one line per failed attribute), or 'missing'. */
function setfattr(dump: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('setfattr', ['-h', '--restore=-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < 1 << 20) stderr += c;
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? resolve('missing') : reject(err),
    );
    // A spawn that failed (ENOENT) closes too, with no pid: 'error' has answered.
    child.on('close', () => child.pid !== undefined && resolve(stderr));
    child.stdin.on('error', () => {});
    child.stdin.end(dump);
  });
}
