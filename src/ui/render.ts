import type { ApplyError, PlannedChange } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import type { StackEndpoints } from '../stack/endpoints.js';
import type { StackIngestion } from '../stack/ingestion.js';
import { table } from './format.js';

export function renderPlan(stack: string, region: string, changes: PlannedChange[], dryRun = true): string {
  const rows = changes.map((c) => [c.action, c.resource.kind, c.resource.name, c.differences.join('; ')]);
  const counts = countBy(changes.map((c) => c.action));
  return `Plan for stack ${stack} in ${region} (${dryRun ? 'dry run: nothing was changed' : 'applying it now'})\n\n` +
    `${table(['ACTION', 'KIND', 'NAME', 'DIFFERENCES'], rows)}\n\n${summaryLine(counts)}\n`;
}

export function renderUpResult(r: StackEndpoints & { stack: string; region: string; resources: ResourceReport[]; waited: boolean }): string {
  const counts = countBy(r.resources.map((x) => x.action ?? ''));
  const lines = [
    '',
    `Stack ${r.stack} in ${r.region}: ${summaryLine(counts)}`,
    '',
    `  App:      ${r.app.url ?? '(pending)'}`,
    `  Grafana:  ${r.grafana.url ?? '(pending)'}  (user admin; password in Secrets Manager)`,
    `  AMP:      ${r.amp.workspaceId ?? '(pending)'}  ${r.amp.remoteWriteUrl ?? ''}`,
  ];
  if (!r.waited) lines.push('', 'Not waiting for the services (--no-wait): run `fargate-prom status` to follow them.');
  return `${lines.join('\n')}\n`;
}

export function renderApplyFailure(command: string, err: ApplyError): string {
  const lines = [`\n${command} stopped: ${err.message}`];
  const done = err.completed.filter((r) => r.action !== 'unchanged' && r.action !== 'absent');
  if (done.length) lines.push(`done before it stopped: ${done.map((r) => `${r.action} ${r.kind} ${r.name}`).join(', ')}`);
  if (err.notStarted.length) lines.push(`not started: ${err.notStarted.map((r) => `${r.kind} ${r.name}`).join(', ')}`);
  lines.push(`run \`fargate-prom ${command}\` again to ${command === 'up' ? 'finish the job' : 'delete the rest'}; it picks up where this run stopped`);
  return `${lines.join('\n')}\n`;
}

export function renderResourceTable(resources: ResourceReport[], column: 'action' | 'state'): string {
  return table(
    ['KIND', 'NAME', column.toUpperCase(), 'ID'],
    resources.map((r) => [r.kind, r.name, String((column === 'action' ? r.action : r.state) ?? ''), r.id ?? '']),
  );
}

export function renderIngestion(m: StackIngestion): string {
  const agentLog = (m.agentLog ?? []).map((l) => `            agent log, task ${l.task}: ${l.line.length > 300 ? `${l.line.slice(0, 300)}…` : l.line}`);
  if (!m.checked) return [`  Metrics:  ${'skipped' in m ? `not checked: ${m.skipped}` : m.problems.join('; ')}`, ...agentLog].join('\n');
  const pct = Math.round((m.samplesPerMonth / m.freeTierSamplesPerMonth) * 100);
  const lines = [
    `  Metrics:  ${m.healthy ? 'arriving in AMP' : `PROBLEM: ${m.problems.join('; ')}`}`,
    `            targets up ${m.targets.up}/${m.targets.expected}, newest sample ${m.newestSampleAgeSeconds === null ? 'none' : `${m.newestSampleAgeSeconds}s old`}, ` +
      `${m.activeSeries} active series`,
    `            ${m.samplesPerSecond} samples/s ≈ ${formatCount(m.samplesPerMonth)} samples/month (${pct}% of AMP's free tier of ${formatCount(m.freeTierSamplesPerMonth)})`,
    ...agentLog,
  ];
  if (m.targets.instances.length) {
    lines.push('', table(['  INSTANCE (TASK ID)', 'UP', 'SAMPLE AGE'], m.targets.instances.map((i) => [`  ${i.instance}`, i.up ? 'yes' : 'no', `${i.sampleAgeSeconds}s`])));
  }
  return lines.join('\n');
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function summaryLine(counts: Record<string, number>): string {
  return ['create', 'update', 'unchanged', 'delete', 'absent', 'skipped']
    .filter((a) => counts[a])
    .map((a) => `${counts[a]} ${a}`)
    .join(', ') || 'nothing to do';
}
