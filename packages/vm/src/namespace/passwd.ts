import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/**
 * Reads `rel` under an image root without following any symlink, so an image cannot make
 * the host read its own files (`/etc/passwd -> /home/you/.ssh/id_rsa`).
 */
export function readInsideRoot(root: string, rel: string): string | undefined {
  let path = root;
  for (const part of rel.split('/').filter(Boolean)) {
    path = join(path, part);
    try {
      if (lstatSync(path).isSymbolicLink()) return undefined;
    } catch {
      return undefined;
    }
  }
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Parses /etc/passwd text into entries, skipping malformed lines. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home, shell] = line.split(':');
    const entry = {
      name: name ?? '',
      uid: Number(uid),
      gid: Number(gid),
      home: home ?? '/',
      shell: shell ?? '',
    };
    if (entry.name && Number.isInteger(entry.uid) && Number.isInteger(entry.gid) && uid !== '') {
      entries.push(entry);
    }
  }
  return entries;
}
