import { lstatSync, readlinkSync, statSync } from 'node:fs';

/** How the host's `/` is laid out: directories to overlay, and the `/bin`-style links. */
export interface HostLayout {
  parts: string[];
  links: Array<[name: string, target: string]>;
}

const SAFE_TARGET = /^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/;

/** Reads the host's root layout for the built-in `host` template (merged-/usr or not). */
export function readHostLayout(): HostLayout {
  const parts = ['usr', 'etc'];
  if (isDir('/opt')) parts.push('opt');
  const links: HostLayout['links'] = [];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(`/${name}`);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) {
      const target = readlinkSync(`/${name}`);
      if (SAFE_TARGET.test(target)) links.push([name, target]);
    } else if (st.isDirectory()) {
      parts.push(name);
    }
  }
  return { parts, links };
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
