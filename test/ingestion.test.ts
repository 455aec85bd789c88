import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmpQueryClient, type VectorSample } from '../src/aws/amp-query.js';
import { checkIngestion } from '../src/aws/ingestion.js';
import { startAmpDataPlane, type AmpDataPlane } from '@fargate-prom/aws-sim';
import { startLocalAppTask, type LocalTask } from '../src/sandbox/local-task.js';
import { freeLoopbackPort } from '@fargate-prom/aws-sim/util/ports';
import { freeClosedPort } from './support/ports.js';
import { eventually } from './support/sim-fixtures.js';
import { withStack } from './support/stack.js';

const REGION = 'eu-west-1';
const KEYS = { accessKeyId: 'AKIDINGESTIONTEST', secretAccessKey: 'right-secret' };
let plane: AmpDataPlane;

beforeAll(async () => {
  plane = await startAmpDataPlane({ region: REGION, credentials: KEYS });
});
afterAll(async () => {
  await plane?.stop();
});

const client = (credentials = KEYS, region = REGION, base = `${plane.url}/workspaces/ws-test`) =>
  new AmpQueryClient(base, region, async () => credentials, 3_000);

describe('the AMP query client against the SigV4-verifying data plane', () => {
  it('signs PromQL for service aps in the region, and the data plane accepts it', async () => {
    const before = plane.rejections().count;
    const result = await client().instant('vector(42)');
    expect(result).toEqual([{ metric: {}, value: [expect.any(Number), '42'] }]);
    expect(plane.rejections().count).toBe(before);
  });

  it('a wrong secret key is refused with AMP\'s message, and the data plane counts the rejection', async () => {
    const before = plane.rejections().count;
    await expect(client({ ...KEYS, secretAccessKey: 'wrong' }).instant('up')).rejects.toThrow(/AMP refused the query \(HTTP 403\): The request signature we calculated does not match/);
    expect(plane.rejections()).toMatchObject({ count: before + 1, last: expect.stringContaining('signature') });
  });

  it('a signature for another region is refused', async () => {
    await expect(client(KEYS, 'us-east-1').instant('up')).rejects.toThrow(/HTTP 403.*scoped to a valid region/);
  });

  it('an unsigned request is refused', async () => {
    const res = await fetch(`${plane.url}/workspaces/ws-test/api/v1/query?query=up`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('an unreachable query API is one clear line', async () => {
    const port = await freeClosedPort();
    await expect(client(KEYS, REGION, `http://127.0.0.1:${port}/workspaces/ws-test`).instant('up')).rejects.toThrow(new RegExp(`^cannot reach the AMP query API at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('a route AMP does not serve is a 404 that names it', async () => {
    await expect(new AmpQueryClient(`${plane.url}/nope`, REGION, async () => KEYS).instant('up')).rejects.toThrow(/AMP answered 404/);
  });
});

/** Answers checkIngestion's four queries from a table, as AMP would for a given moment. */
class RecordedWorkspace {
  constructor(private readonly now: number, private readonly tasks: { instance: string; up: 0 | 1; age: number; samples: number }[], private readonly series: number) {}
  async instant(promql: string): Promise<VectorSample[]> {
    const each = (value: (t: (typeof this.tasks)[number]) => number) =>
      this.tasks.map((t) => ({ metric: { instance: t.instance, job: 'shop' }, value: [this.now, String(value(t))] as [number, string] }));
    if (promql === 'up{job="shop"}') return each((t) => t.up);
    if (promql === 'timestamp(up{job="shop"})') return each((t) => this.now - t.age);
    if (promql === 'count({job="shop"})') return this.tasks.length ? [{ metric: {}, value: [this.now, String(this.series)] }] : [];
    if (promql === 'scrape_samples_post_metric_relabeling{job="shop"}') return each((t) => t.samples);
    throw new Error(`unexpected query ${promql}`);
  }
}
const check = (ws: RecordedWorkspace, expectedTargets: number, scrapeIntervalSeconds = 15) =>
  checkIngestion(ws as unknown as AmpQueryClient, { job: 'shop', expectedTargets, scrapeIntervalSeconds });

describe('the ingestion verdict', () => {
  it('healthy: every expected task up with fresh samples; rate counts the scrape series too', async () => {
    const r = await check(new RecordedWorkspace(1_000_000, [
      { instance: 'a1', up: 1, age: 3, samples: 95 },
      { instance: 'b2', up: 1, age: 9, samples: 95 },
    ], 200), 2);
    expect(r).toMatchObject({ healthy: true, problems: [], newestSampleAgeSeconds: 3, activeSeries: 200, targets: { up: 2, expected: 2 } });
    // (95 + 5) samples per task every 15 s.
    expect(r.samplesPerSecond).toBeCloseTo(200 / 15, 1);
    expect(r.samplesPerMonth).toBe(Math.round((200 / 15) * 30 * 24 * 3600));
    // AMP's free tier: 40 M samples ingested a month (README).
    expect(r.freeTierSamplesPerMonth).toBe(40_000_000);
  });

  it('a task whose target is down, and one that stopped sending, are not up', async () => {
    const r = await check(new RecordedWorkspace(1_000_000, [
      { instance: 'a1', up: 1, age: 2, samples: 95 },
      { instance: 'b2', up: 0, age: 2, samples: 0 },
      { instance: 'c3', up: 1, age: 400, samples: 95 },
    ], 300), 3);
    expect(r.healthy).toBe(false);
    expect(r.targets.instances.map((i) => [i.instance, i.up])).toEqual([['a1', true], ['b2', false], ['c3', false]]);
    expect(r.problems).toEqual(['1 of 3 scrape targets up']);
    // The stopped task no longer adds to the rate.
    expect(r.samplesPerSecond).toBeCloseTo((100 + 5) / 15, 1);
  });

  it('stale: the newest sample is older than three intervals (and a minute)', async () => {
    const r = await check(new RecordedWorkspace(1_000_000, [{ instance: 'a1', up: 1, age: 90, samples: 95 }], 100), 1, 15);
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual(['the newest sample is 90s old (stale after 60s)', '0 of 1 scrape targets up']);
  });

  it('nothing at all: no samples, no targets', async () => {
    const r = await check(new RecordedWorkspace(1_000_000, [], 0), 3);
    expect(r).toMatchObject({ healthy: false, newestSampleAgeSeconds: null, activeSeries: 0, samplesPerSecond: 0 });
    expect(r.problems).toEqual(['no samples of job shop in the workspace', '0 of 3 scrape targets up']);
  });
});

// The verdict above through the real CLI: a task's agent stops, its last samples age in the workspace,
// and once they are older than the threshold status itself uses (three scrape intervals, at least a
// minute: there is no setting for it) status exits 3 saying so. About a minute of real waiting.
describe('status on a stack whose agent stopped sending', () => {
  const STACK = 'stale';
  const USER = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const stack = withStack({ plane: USER });
  let task: LocalTask | undefined;
  const status = () => stack.cli(['status', '--name', STACK, '--amp-endpoint-url', stack.plane.url, '--json']);
  /** status --json until `done` holds; bounded. */
  async function statusUntil(what: string, timeoutMs: number, done: (run: Awaited<ReturnType<typeof status>>) => boolean) {
    return eventually(async () => {
      const run = await status();
      if (done(run)) return run;
      throw new Error(`status has not shown it yet; last (exit ${run.code}):\n${run.stdout}${run.stderr}`);
    }, timeoutMs, `status to show ${what}`, 2_000);
  }

  // After the fixture's: hooks of a suite run in reverse order on the way out, so the task stops first.
  afterAll(async () => {
    await task?.stop();
  });

  it('healthy while samples arrive; exit 3, stale, once the newest sample is older than 60 s', async () => {
    const appPort = await freeLoopbackPort();
    const up = await stack.cli(['up', '--name', STACK, '--app-image', 'ghcr.io/acme/shop:1.4', '--app-port', String(appPort), '--desired-count', '1', '--scrape-interval', '1s', '--yes', '--json']);
    expect(up.code, up.stderr).toBe(0);
    task = await startLocalAppTask({ awsEndpoint: stack.sim.endpoint, region: 'us-east-1', credentials: USER, stack: STACK, appPort, planeUrl: stack.plane.url });

    const healthy = await statusUntil('the task up', 60_000, (run) => run.code === 0);
    expect(healthy.json().metrics).toMatchObject({ healthy: true, problems: [], targets: { up: 1, expected: 1, instances: [{ instance: task.taskId, up: true }] } });

    await task.stopAgent();
    const stale = await statusUntil('stale samples', 120_000, (run) => run.code !== 0);
    expect(stale.code, stale.stderr).toBe(3);
    const m = stale.json().metrics;
    expect(m.healthy).toBe(false);
    expect(m.newestSampleAgeSeconds).toBeGreaterThan(60);
    expect(m.problems).toEqual([`the newest sample is ${Math.round(m.newestSampleAgeSeconds)}s old (stale after 60s)`, '0 of 1 scrape targets up']);
    expect(m.targets.instances).toEqual([{ instance: task.taskId, up: false, sampleAgeSeconds: m.newestSampleAgeSeconds }]);
    // Nothing else is wrong with the stack: only the metrics.
    expect(stale.json().resources.every((r: { healthy: boolean }) => r.healthy)).toBe(true);
  }, 240_000);
});
