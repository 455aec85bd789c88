import type { ServiceRow } from './reporter.js';

export function pastTense(action: string): string {
  return ({ create: 'created', update: 'updated', delete: 'deleted', unchanged: 'unchanged', absent: 'absent', skipped: 'skipped' } as Record<string, string>)[action] ?? action;
}

export function serviceLine(r: ServiceRow): string {
  return `service ${r.service}: ${r.running}/${r.desired} running, ${r.pending} pending, rollout ${r.rollout}` +
    (r.targets ? `, targets ${r.targets}` : '') + (r.failure ? ` — ${r.failure}` : '');
}

/** A fixed-width text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}

export function serviceTable(rows: ServiceRow[]): string {
  return table(
    ['SERVICE', 'DESIRED', 'RUNNING', 'PENDING', 'ROLLOUT', 'TARGETS', 'RECENT FAILURE'],
    rows.map((r) => [r.service, String(r.desired), String(r.running), String(r.pending), r.rollout, r.targets ?? '', (r.failure ?? '').slice(0, 70)]),
  );
}
