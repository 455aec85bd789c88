import type { LoadOptions } from '../config/options.js';
import { CliError, ExitCode } from '../errors.js';
import { observeAll } from '../engine/engine.js';
import { AmpQueryClient } from '../aws/amp-query.js';
import { drive, type LoadTotals } from '../load/drive.js';
import { loadCharts, waitForSamplesAfter, type LoadChart } from '../load/charts.js';
import { ampQueryBase, stackEndpoints, workspaceEndpoint } from '../stack/endpoints.js';
import { deployedScrapeInterval } from '../stack/ingestion.js';
import { stackResources } from '../stack/resources.js';
import { makeSpec, stackNotFound } from '../stack/spec.js';
import type { CommandIo } from '../ui/io.js';
import type { Reporter } from '../ui/reporter.js';
import { openSession, type Session } from './session.js';

/** `load --json`: the run's totals, then (against a stack) the dashboard's series before and during it. */
export type LoadReport = LoadTotals & {
  stack?: string;
  charts?: LoadChart[];
  /** Why there are no charts (an emulator without --amp-endpoint-url, no workspace, AMP refused…). */
  chartsSkipped?: string;
};

export interface LoadResult {
  report: LoadReport;
}

/** 130 when Ctrl-C cut the run short (it is still reported), else 0. */
export function loadExitCode(result: LoadResult): number {
  return result.report.interrupted ? ExitCode.interrupted : ExitCode.ok;
}

/** A constant request rate against --url, or against the stack's app through its ALB, then its charts. */
export async function runLoad(opts: LoadOptions, io: CommandIo): Promise<LoadResult> {
  if (opts.url) {
    const reporter = io.reporter(opts.json);
    const controller = new AbortController();
    const stopOnSigint = onInterrupt(reporter, () => controller.abort());
    try {
      const url = opts.path ? new URL(opts.path, opts.url).toString() : opts.url;
      return { report: await run(url, opts, reporter, controller.signal) };
    } finally {
      stopOnSigint();
      reporter.stop();
    }
  }
  const session = await openSession(opts, io);
  try {
    return { report: await againstStack(opts, session) };
  } finally {
    session.close();
  }
}

async function againstStack(opts: LoadOptions, session: Session): Promise<LoadReport> {
  const spec = makeSpec(opts.name, session.region);
  const stack = stackResources(spec);
  const ctx = session.context(spec);
  session.reporter.phase(`Finding stack ${spec.name} in ${spec.region}`);
  const observed = await observeAll(stack.all, ctx);
  if (!stack.all.some((r) => observed.get(r)?.owned)) {
    throw stackNotFound(spec);
  }
  const https = Boolean(stack.listeners.peek(ctx)?.listeners.some((l) => l.port === 443));
  const base = opts.appUrl ?? stackEndpoints(ctx, stack, https).app.url;
  if (!base) throw new CliError(`stack ${spec.name} has no load balancer to send the load through; run up, or pass --app-url`);
  const totals = await run(new URL(opts.path ?? '/', base).toString(), opts, session.reporter, session.signal);

  const workspace = workspaceEndpoint(stack.workspace.peek(ctx));
  const interval = deployedScrapeInterval(stack.appTaskDefinition.peek(ctx));
  const report: LoadReport = { ...totals, stack: spec.name };
  if (!workspace || interval === undefined) return { ...report, chartsSkipped: !workspace ? 'the stack has no AMP workspace' : 'the app task definition has no agent' };
  if (!opts.ampEndpointUrl && ctx.aws.settings.endpointUrl) {
    return { ...report, chartsSkipped: '--endpoint-url points at an emulator, which has no AMP data plane; pass --amp-endpoint-url for the charts' };
  }
  const query = new AmpQueryClient(ampQueryBase(workspace, opts.ampEndpointUrl), spec.region, ctx.aws.credentials());
  const window = { job: spec.name, runStart: Date.parse(totals.startedAt), runEnd: Date.parse(totals.endedAt), scrapeIntervalSeconds: interval };
  try {
    session.reporter.phase('Waiting for the agent\'s samples of the run to reach AMP');
    await waitForSamplesAfter(query, window, session.signal);
    return { ...report, charts: await loadCharts(query, window) };
  } catch (err) {
    return { ...report, chartsSkipped: (err as Error).message };
  }
}

async function run(url: string, opts: LoadOptions, reporter: Reporter, signal: AbortSignal): Promise<LoadTotals> {
  reporter.phase(`Sending ${opts.rate} req/s to ${url} for ${opts.durationSeconds}s over ${opts.connections} connections`);
  return drive({
    url,
    rate: opts.rate,
    durationSeconds: opts.durationSeconds,
    connections: opts.connections,
    signal,
    onProgress: (p) => reporter.live?.(`${p.elapsedSeconds}s · sent ${p.sent} · ok ${p.ok} · errors ${p.errors} · ${p.currentRate} req/s (Ctrl-C stops and reports)`),
  });
}

/** First Ctrl-C: stop sending and report; a second one exits at once. Returns the un-install. */
function onInterrupt(reporter: Reporter, stop: () => void): () => void {
  let count = 0;
  const handler = () => {
    if (++count > 1) {
      reporter.stop();
      process.exit(ExitCode.interrupted);
    }
    reporter.warn('interrupted: sending nothing more, waiting for the requests in flight, then reporting; Ctrl-C again to quit at once');
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
