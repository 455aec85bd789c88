import { describe, expect, it } from 'vitest';
import { freeClosedPort } from './support/ports.js';
import type { CliRun } from './support/cli.js';
import { grafanaStack, up, upJson, standin, errorLines, DS_UID } from './support/grafana-stack.js';

// Grafana failing during up: one clear line, exit 1, no AWS change after it.
const stack = grafanaStack();

describe('Grafana failures: one clear line, exit 1, no AWS change after it', () => {
  async function expectCleanFailure(run: CliRun, pattern: RegExp) {
    expect(run.code, run.stderr).toBe(1);
    const lines = errorLines(run);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
  }

  it('401: Grafana\'s admin password is not the secret\'s', async () => {
    const g = await standin({ password: 'not-the-secret' });
    stack.sim.clearCalls();
    const run = await upJson(g);
    await expectCleanFailure(run, /^error: Grafana answered 401 .* to GET \/api\/datasources\/uid\/graf-amp.*password/);
    const failedAt = g.requests.find((q) => q.status === 401)!.at;
    expect(stack.sim.calls().filter((c) => c.at > failedAt)).toEqual([]);
    expect(run.json().grafana).toMatchObject({ provisioning: 'failed', error: expect.stringContaining('401') });
  });

  it('500 from Grafana; once Grafana recovers, the next up completes', async () => {
    const g = await standin();
    g.setFailure({ kind: 'status', status: 500, message: 'database is locked' }, (m, p) => m === 'POST' && p === '/api/dashboards/import');
    stack.sim.clearCalls();
    const run = await up('--grafana-url', g.url);
    await expectCleanFailure(run, /^error: Grafana answered 500 Internal Server Error to POST \/api\/dashboards\/import: database is locked$/);

    g.setFailure(undefined);
    const again = await upJson(g);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().grafana).toMatchObject({ provisioning: 'done', datasource: { action: 'unchanged' }, dashboard: { action: 'import' } });
    expect(g.violations).toEqual([]);
  });

  it('Grafana that never answers: a bounded timeout naming the route, one attempt', async () => {
    const g = await standin();
    g.setFailure({ kind: 'hang' }, (_m, p) => p.startsWith('/api/datasources'));
    stack.sim.clearCalls();
    const run = await upJson(g);
    // The client's bound (15 s in real time; the scaled runs of the tests floor it at 2 s), in the message.
    await expectCleanFailure(run, /^error: Grafana at http:\/\/127\.0\.0\.1:\d+\/dashboard did not answer GET \/api\/datasources\/uid\/graf-amp within 2s$/);
    // Given up after the first unanswered request: no retry, nothing after it.
    expect(g.requests.filter((q) => q.path.startsWith('/api/datasources')).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([`GET /api/datasources/uid/${DS_UID} 0`]);
    expect(g.requests.at(-1)!.path).toBe(`/api/datasources/uid/${DS_UID}`);
  });

  it('Grafana that closes connections', async () => {
    const g = await standin();
    g.setFailure({ kind: 'close' }, (_m, p) => p !== '/api/health');
    stack.sim.clearCalls();
    const run = await upJson(g);
    await expectCleanFailure(run, /^error: cannot reach Grafana at .* \(GET \/api\/datasources\/uid\/graf-amp\): /);
  });

  it('unreachable Grafana (nothing listening): a bounded wait, then one line', async () => {
    const port = await freeClosedPort();
    stack.sim.clearCalls();
    const run = await up('--json', '--grafana-url', `http://127.0.0.1:${port}/dashboard`);
    await expectCleanFailure(run, /^error: timed out after 5m00s waiting for Grafana at http:\/\/127\.0\.0\.1:\d+\/dashboard\/api\/health; last seen: .*connection refused; /);
    expect(run.stderr).toMatch(/waiting for Grafana at/);
  });
});
