import fs from 'node:fs';

/** The tool's version, from package.json (three levels up from both src/core/model and dist/core/model). */
export const TOOL_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
