/** One problem in a site file: where it is and what is wrong. */
export interface SiteIssue {
  path: string;
  line?: number;
  message: string;
}

/** The issues in order, each (path, message) once: several checks may find the same fault. */
export function dedupeIssues(issues: SiteIssue[]): SiteIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A configuration file (site, scenario) that did not validate: every issue with file, path and line. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: SiteIssue[],
  ) {
    super(issues.map((i) => `${file}: ${i.path}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}
