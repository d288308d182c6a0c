import type { NodeXattrs } from './xattrs.ts';

/**
 * The unpacker's model of the tree it is building. Every path is resolved against this model,
 * never against the disk, so a symlink planted by a hostile entry cannot steer a later write:
 * on disk, every resolved parent is a real directory this unpack created.
 */
export interface Node {
  kind: 'dir' | 'file' | 'symlink';
  /** Index of the layer that last wrote this node (opaque directories hide lower layers). */
  layer: number;
  children?: Map<string, Node>;
  target?: string;
  meta?: DirMeta;
  /** user.* extended attributes to set once every layer applied. */
  xattrs?: NodeXattrs | undefined;
}

export interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export class UnsafePathError extends Error {}

const MAX_LINK_HOPS = 40;

export function newDir(layer: number): Node {
  return { kind: 'dir', layer, children: new Map() };
}

/** Splits an entry name into components, refusing absolute names and NUL bytes. */
export function splitName(name: string): string[] {
  if (name.startsWith('/')) throw new UnsafePathError('the entry name is absolute');
  if (name.includes('\0')) throw new UnsafePathError('the entry name contains a NUL byte');
  return name.split('/').filter((c) => c !== '' && c !== '.');
}

export interface Resolved {
  /** The directory node that holds the entry. */
  dir: Node;
  /** Path of that directory relative to the root, '' for the root itself. */
  dirPath: string;
}

/**
 * Resolves `components` as directories from the root, as if the root were `/`: `..` may not
 * climb above it, relative symlinks are followed inside the model, and absolute symlinks are
 * refused as parents (at run time they name the sandbox's root, here they would name the host's).
 * Missing directories are created through `mkdir` when it is given; without it, a missing
 * directory makes the result undefined.
 */
export function resolveDir(
  root: Node,
  components: readonly string[],
  mkdir: ((relPath: string) => void) | undefined,
  layer: number,
): Resolved | undefined {
  const stack: { node: Node; name: string }[] = [];
  const queue = components.slice().reverse();
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.pop()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) throw new UnsafePathError('".." climbs above the root');
      stack.pop();
      continue;
    }
    const cur = stack.length > 0 ? stack[stack.length - 1]!.node : root;
    let child = cur.children!.get(c);
    if (!child) {
      if (!mkdir) return undefined;
      child = newDir(layer);
      cur.children!.set(c, child);
      mkdir(pathOf(stack, c));
    }
    if (child.kind === 'dir') {
      // Touched by this layer: an opaque marker on an ancestor keeps it (and hides what is lower).
      child.layer = layer;
      stack.push({ node: child, name: c });
      continue;
    }
    if (child.kind === 'symlink') {
      const target = child.target!;
      if (++hops > MAX_LINK_HOPS) throw new UnsafePathError('too many levels of symbolic links');
      if (target.startsWith('/')) {
        throw new UnsafePathError(
          `"${pathOf(stack, c)}" is a symlink to the absolute path "${target}" and cannot be a parent`,
        );
      }
      const parts = target.split('/');
      for (let i = parts.length - 1; i >= 0; i--) queue.push(parts[i]!);
      continue;
    }
    throw new UnsafePathError(`"${pathOf(stack, c)}" is not a directory`);
  }
  const dir = stack.length > 0 ? stack[stack.length - 1]!.node : root;
  return { dir, dirPath: stack.map((s) => s.name).join('/') };
}

function pathOf(stack: readonly { name: string }[], last: string): string {
  return stack.length === 0 ? last : `${stack.map((s) => s.name).join('/')}/${last}`;
}

export function join(dirPath: string, name: string): string {
  return dirPath === '' ? name : `${dirPath}/${name}`;
}
