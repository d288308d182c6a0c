#!/usr/bin/env node
// Entry point of the Docker CLI plugin: Docker calls `docker-sandbox docker-cli-plugin-metadata`
// to discover it and `docker-sandbox sandbox ARGS…` to run `docker sandbox ARGS…`.
import { main } from './main.ts';
import { pluginMetadata } from './plugin/metadata.ts';

const args = process.argv.slice(2);
if (args[0] === 'docker-cli-plugin-metadata') {
  process.stdout.write(`${JSON.stringify(pluginMetadata(), null, 2)}\n`);
} else {
  process.exitCode = await main(args[0] === 'sandbox' ? args.slice(1) : args, {
    scriptName: 'docker sandbox',
  });
}
