#!/usr/bin/env node
import { main } from './main.ts';

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
