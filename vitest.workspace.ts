/** The vitest projects: every package and app with tests. Used by vitest.config.ts. */
export const projects = ['packages/*', 'apps/*'];
