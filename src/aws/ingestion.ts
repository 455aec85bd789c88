import type { AmpQueryClient, VectorSample } from './amp-query.js';

/** AMP's free tier: 40 M samples ingested a month. Beyond it AMP bills per sample. */
export const FREE_TIER_SAMPLES_PER_MONTH = 40_000_000;
const SECONDS_PER_MONTH = 30 * 24 * 3600;
/** The series every scrape adds besides the target's own: up, scrape_duration_seconds, scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added. */
const SCRAPE_SERIES_PER_TARGET = 5;

interface TargetReport {
  instance: string;
  up: boolean;
  sampleAgeSeconds: number;
}

export interface IngestionReport {
  job: string;
  healthy: boolean;
  /** Why it is not healthy, in words. */
  problems: string[];
  targets: { up: number; expected: number; instances: TargetReport[] };
  newestSampleAgeSeconds: number | null;
  activeSeries: number;
  samplesPerSecond: number;
  samplesPerMonth: number;
  freeTierSamplesPerMonth: number;
}

/** Samples older than this mean the agent stopped sending: a few missed scrapes, and at least a minute. */
export function staleAfterSeconds(scrapeIntervalSeconds: number): number {
  return Math.max(60, 3 * scrapeIntervalSeconds);
}

/**
 * Whether metrics really arrive: per task (instance) the newest `up` sample and its value, the series
 * the job keeps active, and the rate of samples being ingested, from the workspace's query API.
 */
export async function checkIngestion(query: AmpQueryClient, opts: { job: string; expectedTargets: number; scrapeIntervalSeconds: number }): Promise<IngestionReport> {
  const job = `job=${JSON.stringify(opts.job)}`;
  const [ups, stamps, series, scraped] = await Promise.all([
    query.instant(`up{${job}}`),
    query.instant(`timestamp(up{${job}})`),
    query.instant(`count({${job}})`),
    query.instant(`scrape_samples_post_metric_relabeling{${job}}`),
  ]);
  const staleAfter = staleAfterSeconds(opts.scrapeIntervalSeconds);
  const instances: TargetReport[] = stamps.map((s) => {
    const instance = s.metric.instance ?? '';
    const age = Math.max(0, s.value[0] - Number(s.value[1]));
    const up = ups.find((u) => u.metric.instance === instance);
    return { instance, up: up?.value[1] === '1' && age <= staleAfter, sampleAgeSeconds: round(age) };
  }).sort((a, b) => a.instance.localeCompare(b.instance));
  const live = instances.filter((i) => i.sampleAgeSeconds <= staleAfter);
  const newest = instances.length ? Math.min(...instances.map((i) => i.sampleAgeSeconds)) : null;
  const upCount = instances.filter((i) => i.up).length;

  // Each live target sends, every interval, its own samples plus the scrape's bookkeeping series.
  const perScrape = sum(scraped.filter((s) => live.some((i) => i.instance === s.metric.instance)))
    + SCRAPE_SERIES_PER_TARGET * live.length;
  const samplesPerSecond = perScrape / opts.scrapeIntervalSeconds;

  const problems: string[] = [];
  if (newest === null) problems.push(`no samples of job ${opts.job} in the workspace`);
  else if (newest > staleAfter) problems.push(`the newest sample is ${Math.round(newest)}s old (stale after ${staleAfter}s)`);
  if (upCount < opts.expectedTargets) problems.push(`${upCount} of ${opts.expectedTargets} scrape targets up`);
  return {
    job: opts.job,
    healthy: problems.length === 0,
    problems,
    targets: { up: upCount, expected: opts.expectedTargets, instances },
    // Already rounded: the smallest of the targets' rounded ages.
    newestSampleAgeSeconds: newest,
    activeSeries: Number(series[0]?.value[1] ?? 0),
    samplesPerSecond: round(samplesPerSecond),
    samplesPerMonth: Math.round(samplesPerSecond * SECONDS_PER_MONTH),
    freeTierSamplesPerMonth: FREE_TIER_SAMPLES_PER_MONTH,
  };
}

function sum(samples: VectorSample[]): number {
  return samples.reduce((total, s) => total + Number(s.value[1]), 0);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
