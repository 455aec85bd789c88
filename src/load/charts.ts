import type { AmpQueryClient, RangeSeries } from '../aws/amp-query.js';
import { pollUntil } from '../aws/retry.js';
import { withTimeScale } from '../util/time.js';

/** One dashboard series over the minutes before and during a load run. */
export interface LoadChart {
  key: 'requestRate' | 'cpu' | 'eventLoopLag' | 'heapUsed';
  title: string;
  unit: string;
  promql: string;
  /** [Unix seconds, value] every `stepSeconds`, as the query returned them. */
  points: [number, number][];
  /** Mean of the points before the run started; null when there are none. */
  before: number | null;
  /** Highest point from the run's start until the newest sample after it; null when there are none. */
  during: number | null;
}

export interface ChartWindow {
  job: string;
  /** Unix milliseconds. */
  runStart: number;
  runEnd: number;
  /** The agent's scrape interval in seconds (rates are taken over 4 of them, at least 20 s). */
  scrapeIntervalSeconds: number;
}

/**
 * What dashboard 11159 (and the sample app's custom counter) shows, per job: the request rate, CPU
 * (user + system, as the dashboard's two CPU queries), event-loop lag and heap used.
 */
export function chartQueries(job: string, rateWindowSeconds: number): Omit<LoadChart, 'points' | 'before' | 'during'>[] {
  const sel = `{job=${JSON.stringify(job)}}`;
  const w = `[${rateWindowSeconds}s]`;
  return [
    { key: 'requestRate', title: 'Requests', unit: 'req/s', promql: `sum(rate(http_requests_total${sel}${w}))` },
    { key: 'cpu', title: 'CPU', unit: '%', promql: `sum(rate(process_cpu_user_seconds_total${sel}${w}) + rate(process_cpu_system_seconds_total${sel}${w})) * 100` },
    { key: 'eventLoopLag', title: 'Event-loop lag', unit: 'ms', promql: `max(nodejs_eventloop_lag_seconds${sel}) * 1000` },
    { key: 'heapUsed', title: 'Heap used', unit: 'MiB', promql: `sum(nodejs_heap_size_used_bytes${sel}) / 1048576` },
  ];
}

/** Until a sample scraped after the run's end has arrived (bounded: the charts show what is there then). */
export async function waitForSamplesAfter(query: AmpQueryClient, w: ChartWindow, signal?: AbortSignal): Promise<boolean> {
  const newest = async () => {
    const v = await query.instant(`max(timestamp(up{job=${JSON.stringify(w.job)}}))`).catch(() => []);
    return v.length ? Number(v[0].value[1]) * 1000 : 0;
  };
  try {
    // Real time, unscaled: the samples come from a real scrape loop and remote write.
    await withTimeScale(1, () => pollUntil(newest, (t) => t >= w.runEnd, { what: 'the first samples scraped after the run', timeoutMs: (3 * w.scrapeIntervalSeconds + 30) * 1000, intervalMs: 1000, signal }));
    return true;
  } catch {
    return false;
  }
}

/** The four series from a few minutes before the run until now, each with its before → during values. */
export async function loadCharts(query: AmpQueryClient, w: ChartWindow, now = Date.now()): Promise<LoadChart[]> {
  const runSeconds = (w.runEnd - w.runStart) / 1000;
  const start = Math.floor(w.runStart / 1000 - Math.max(120, runSeconds));
  const end = Math.ceil(now / 1000);
  // About 60 points: one column each in the chart.
  const step = Math.max(1, Math.ceil((end - start) / 60));
  const rateWindow = Math.max(20, 4 * w.scrapeIntervalSeconds);
  return Promise.all(chartQueries(w.job, rateWindow).map(async (q) => {
    const series: RangeSeries[] = await query.range(q.promql, start, end, step);
    const points = (series[0]?.values ?? []).map(([t, v]) => [t, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v));
    const beforePts = points.filter(([t]) => t * 1000 < w.runStart).map(([, v]) => v);
    const duringPts = points.filter(([t]) => t * 1000 >= w.runStart).map(([, v]) => v);
    return {
      ...q,
      points,
      before: beforePts.length ? beforePts.reduce((a, b) => a + b, 0) / beforePts.length : null,
      during: duringPts.length ? Math.max(...duringPts) : null,
    };
  }));
}
