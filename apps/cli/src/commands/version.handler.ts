import { VERSION } from '../version.ts';

export function printVersion(argv: { json: boolean }): void {
  const info = {
    version: VERSION,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
  if (argv.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return;
  }
  process.stdout.write(`sbx ${info.version} (node ${info.node}, ${info.platform})\n`);
}
