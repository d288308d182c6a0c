export { CliError, EXIT } from './errors.ts';
export type { MainOptions } from './main.ts';
export { main } from './main.ts';
