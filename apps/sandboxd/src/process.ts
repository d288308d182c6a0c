import { readFile } from 'node:fs/promises';

/** A live process whose command line names sandboxd (a pid reused by another program is not). */
export async function isSandboxdProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('sandboxd');
}
