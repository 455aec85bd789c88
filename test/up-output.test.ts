import { describe, expect, it } from 'vitest';
import { runCli, simEnv } from './support/cli.js';
import { withStack } from './support/stack.js';

// What `up` tells a user before and around the changes: dry-run documents, warnings, late input checks.
const stack = withStack();
const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '1'];
const up = (name: string, ...extra: string[]) => stack.cli(['up', '--name', name, ...IMAGE, '--yes', ...extra]);
const mutatingCalls = () => stack.sim.calls().filter((c) => c.mutating);

describe('up --dry-run', () => {
  it('on a new stack: the JSON document has the contract keys, the open-ALB warning is shown, nothing changes', async () => {
    stack.sim.clearCalls();
    const run = await up('plan', '--dry-run', '--json');
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['stack', 'region', 'resources', 'app', 'grafana', 'amp']));
    expect(doc.resources.every((r: any) => r.action === 'create' && r.id === undefined)).toBe(true);
    expect(run.stderr).toMatch(/warning: the load balancer accepts traffic from anywhere \(0\.0\.0\.0\/0\); pass --allow-cidr/);
    expect(mutatingCalls()).toEqual([]);
  });

  it('on an existing stack: each resource carries its id, and the URLs are known', async () => {
    const created = await up('plan', '--no-wait', '--json', '--allow-cidr', '203.0.113.0/24');
    expect(created.code, created.stderr).toBe(0);
    stack.sim.clearCalls();
    const run = await up('plan', '--dry-run', '--json', '--allow-cidr', '203.0.113.0/24');
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    const idsOf = (resources: any[]) => resources.map((r) => `${r.kind} ${r.name} ${r.id}`).sort();
    expect(doc.resources).toHaveLength(25);
    expect(doc.resources.every((r: any) => r.action === 'unchanged')).toBe(true);
    expect(idsOf(doc.resources)).toEqual(idsOf(created.json().resources));
    expect(doc.app.url).toBe(created.json().app.url);
    expect(doc.amp.workspaceId).toBe(created.json().amp.workspaceId);
    expect(run.stderr).not.toMatch(/accepts traffic from anywhere/);
    expect(mutatingCalls()).toEqual([]);
    expect((await stack.cli(['destroy', '--name', 'plan', '--yes'])).code).toBe(0);
  });
});

describe('input known only once the session has a region', () => {
  it('a certificate from another region than AWS_REGION: exit 2 naming --certificate-arn, no change made', async () => {
    stack.sim.clearCalls();
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
    const run = await up('cert', '--certificate-arn', arn);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n').pop()).toBe(
      'error: --certificate-arn: the certificate is in eu-west-1 but the stack is in us-east-1; use a certificate from the same region (ALBs only accept those)',
    );
    expect(mutatingCalls()).toEqual([]);
  });
});

describe('AWS_ENDPOINT_URL instead of --endpoint-url', () => {
  it('is treated as an emulator too: Grafana and the ingestion check are skipped with a note, not sent to made-up hosts', async () => {
    const env = simEnv({ AWS_ENDPOINT_URL: stack.sim.endpoint });
    const created = await runCli(['up', '--name', 'envurl', ...IMAGE, '--yes', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().grafana.provisioning).toBe('skipped');
    const status = await runCli(['status', '--name', 'envurl', '--json'], env);
    expect(status.json().metrics).toMatchObject({ checked: false, skipped: expect.stringContaining('emulator') });
    expect(status.json().grafana).toMatchObject({ checked: false });
    expect((await runCli(['destroy', '--name', 'envurl', '--yes'], env)).code).toBe(0);
  });

  it('a malformed AWS_ENDPOINT_URL: exit 2 naming it, before any AWS call', async () => {
    stack.sim.clearCalls();
    const run = await runCli(['status', '--name', 'envurl'], simEnv({ AWS_ENDPOINT_URL: 'localhost:5000' }));
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: AWS_ENDPOINT_URL: "localhost:5000" is not an http(s) URL; set it to an http(s) URL such as http://127.0.0.1:5000, or unset it');
    expect(stack.sim.calls()).toEqual([]);
  });
});
