/** One line of the doctor's report. */
export interface Finding {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly title: string;
  /** What was seen, verbatim where possible. */
  readonly detail?: string;
  /** What it means and what to do, in plain words. */
  readonly advice?: string;
}

export const ok = (title: string, detail?: string): Finding => ({ level: 'ok', title, detail });
export const warn = (title: string, detail: string, advice?: string): Finding => ({ level: 'warn', title, detail, advice });
export const fail = (title: string, detail: string, advice?: string): Finding => ({ level: 'fail', title, detail, advice });

const TAG = { ok: '[ok]  ', warn: '[warn]', fail: '[FAIL]' } as const;

export function formatReport(heading: string, findings: readonly Finding[]): string {
  const lines = [heading, ''];
  for (const f of findings) {
    lines.push(`${TAG[f.level]} ${f.title}${f.detail ? `: ${f.detail}` : ''}`);
    if (f.advice) lines.push(`       -> ${f.advice}`);
  }
  const fails = findings.filter((f) => f.level === 'fail').length;
  const warns = findings.filter((f) => f.level === 'warn').length;
  lines.push('', fails + warns === 0 ? 'No problems found.' : `${fails} problem(s), ${warns} warning(s).`);
  return `${lines.join('\n')}\n`;
}
