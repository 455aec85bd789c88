import { plot } from 'asciichart';
import type { AgentConfigResult } from '../commands/agent-config.js';
import type { DestroyResult } from '../commands/destroy.js';
import type { LoadResult } from '../commands/load.js';
import type { LoadChart } from '../load/charts.js';
import type { StatusResult } from '../commands/status.js';
import type { UpResult } from '../commands/up.js';
import { ApplyError } from '../engine/engine.js';
import { renderGrafanaUp } from '../grafana/up-step.js';
import { renderGrafanaStatus } from '../grafana/status.js';
import { renderDns } from '../stack/dns.js';
import type { CommandIo } from './io.js';
import { renderApplyFailure, renderIngestion, renderPlan, renderResourceTable, renderUpResult } from './render.js';

// The one place a command's result is shown: with --json one document on stdout, else text for people
// (the same on a terminal and in a log: only progress differs, and the reporter owns that).

type Io = Pick<CommandIo, 'stdout' | 'stderr'>;

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function showUp(result: UpResult, json: boolean, io: Io): void {
  if (result.outcome === 'failed') {
    if (result.error instanceof ApplyError) io.stderr.write(renderApplyFailure('up', result.error));
    if (json) printJson(io, result.report);
  } else if (json) {
    printJson(io, result.report);
  } else if (result.outcome === 'planned') {
    io.stdout.write(renderPlan(result.report.stack, result.report.region, result.changes));
  } else {
    io.stdout.write(renderUpResult(result.report) + renderDns(result.report.dns) + renderGrafanaUp(result.report.grafana));
  }
}

export function showStatus(result: StatusResult, json: boolean, io: Io): void {
  if (json) return printJson(io, result.report);
  if (result.outcome === 'not-found') return;
  const { report: r, endpoints, grafana } = result;
  const problems = [...r.resources.filter((x) => !x.healthy), ...r.metrics.problems, ...grafana.problems];
  io.stdout.write([
    `Stack ${r.stack} in ${r.region}: ${r.healthy ? 'healthy' : `${problems.length} problem${problems.length === 1 ? '' : 's'}`}`,
    '',
    renderResourceTable(r.resources, 'state'),
    '',
    ...r.resources.filter((x) => x.kind === 'ecs-service' && x.detail).map((x) =>
      `  ${x.name}: ${x.detail!.running}/${x.detail!.desired} running, ${x.detail!.pending} pending, rollout ${x.detail!.rolloutState}, targets ${x.detail!.targets ?? '-'}${x.detail!.recentFailure ? ` — ${x.detail!.recentFailure}` : ''}`),
    '',
    `  App:      ${endpoints.app.url ?? '(no load balancer)'}`,
    `  Grafana:  ${endpoints.grafana.url ?? '(no load balancer)'}`,
    renderGrafanaStatus(grafana),
    `  AMP:      ${endpoints.amp.workspaceId ?? '(no workspace)'}  ${endpoints.amp.remoteWriteUrl ?? ''}`,
    '',
    renderIngestion(r.metrics),
    '',
  ].join('\n'));
}

export function showDestroy(result: DestroyResult, json: boolean, io: Io): void {
  if (result.outcome === 'failed') {
    io.stderr.write(renderApplyFailure('destroy', result.error));
    if (json) printJson(io, result.report);
  } else if (json) {
    printJson(io, result.report);
  } else if (result.outcome === 'nothing') {
    io.stdout.write(`Nothing to delete: no resource of stack ${result.report.stack} in ${result.report.region} carries its tag.\n`);
  } else {
    const { report } = result;
    io.stdout.write(`\nStack ${report.stack} in ${report.region}: deleted ${report.resources.filter((r) => r.action === 'delete').length} resources.\n`);
    if (report.leftovers.length === 0) io.stdout.write('Sweep: nothing tagged with the stack is left.\n');
  }
}

/** The config as YAML, or the container definition as JSON: either is the whole of stdout. */
export function showAgentConfig(result: AgentConfigResult, io: Io): void {
  if (result.format === 'yaml') io.stdout.write(result.config);
  else printJson(io, result.container);
}

export function showLoad(result: LoadResult, json: boolean, io: Io): void {
  if (json) return printJson(io, result.report);
  const r = result.report;
  const codes = Object.entries(r.requests.statusCodes).map(([code, n]) => `${code}: ${n}`).join(', ') || 'none';
  const lines = [
    `Load on ${r.url}${r.interrupted ? ' (stopped by Ctrl-C)' : ''}`,
    `  Requests:  ${r.requests.total} sent in ${r.durationSeconds}s, ${r.requests.ok} ok (2xx–3xx), ${r.requests.errors} errors` +
      (r.requests.timeouts || r.requests.resets ? ` (${r.requests.timeouts} timeouts, ${r.requests.resets} lost to closed connections)` : ''),
    `  Statuses:  ${codes}`,
    `  Rate:      ${r.rate.achieved} req/s achieved of ${r.rate.target} req/s`,
    `  Latency:   p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    '',
  ];
  if (r.charts) lines.push(`In AMP (job ${r.stack}), before → during the run:`, '', ...r.charts.flatMap(renderChart));
  else if (r.chartsSkipped) lines.push(`Charts: not shown — ${r.chartsSkipped}`, '');
  io.stdout.write(lines.join('\n'));
}

function formatValue(v: number | null, unit: string): string {
  if (v === null) return '–';
  const n = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit === '%' ? `${n}%` : `${n} ${unit}`;
}

/** `CPU 2% → 38%` over a small chart of the series (asciichart), or a line saying there is no data. */
function renderChart(c: LoadChart): string[] {
  const head = `${c.title} ${formatValue(c.before, c.unit)} → ${formatValue(c.during, c.unit)}`;
  if (c.points.length < 2) return [head, '  (not enough samples to chart)', ''];
  const chart = plot(c.points.map(([, v]) => v), { height: 5, format: (x) => formatValue(x, c.unit).padStart(10) });
  return [head, chart, ''];
}
