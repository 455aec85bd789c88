import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateWorkspaceCommand, DeleteWorkspaceCommand, DescribeWorkspaceCommand, ListWorkspacesCommand, type WorkspaceSummary } from '@aws-sdk/client-amp';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { eventually } from './support/sim-fixtures.js';
import { startGrafanaStandin, type GrafanaStandin } from './support/grafana-standin.js';
import { withStack } from './support/stack.js';

// AMP's ListWorkspaces filters the alias by PREFIX, pages at 100 and lists DELETING workspaces. With a
// hundred other stacks' workspaces aliased `amp-…` listed before ours, up must still find its own.
const STACK = 'amp';
const TAG_KEY = 'fargate-prom:stack';
const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';
// Not moto's amazonaws.com host (as in China, amazonaws.com.cn): the URLs must come from the workspace.
const ENDPOINT_HOST = 'aps-workspaces.us-east-1.amazonaws.com.cn';

const stack = withStack();
const { cli } = stack;
let grafana: GrafanaStandin;
let deletingId: string;
const foreignIds: string[] = [];

const up = (...extra: string[]) => cli(['up', '--name', STACK, '--app-image', IMAGE, '--desired-count', '1', '--yes', '--json', ...extra]);

/** Every workspace moto has, whatever its alias (moto's own filter is exact, so none is used). */
async function motoWorkspaces(): Promise<WorkspaceSummary[]> {
  const all: WorkspaceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const out = await stack.moto.amp.send(new ListWorkspacesCommand({ maxResults: 1000, nextToken }));
    all.push(...(out.workspaces ?? []));
    nextToken = out.nextToken || undefined;
  } while (nextToken);
  return all;
}

/** Ours, as AWS (the simulation) shows it: aliased exactly like the stack, with its tag, not being deleted. */
async function ours(): Promise<WorkspaceSummary[]> {
  const all = await motoWorkspaces();
  const live = await Promise.all(all.filter((w) => w.alias === STACK && w.tags?.[TAG_KEY] === STACK).map(async (w) =>
    ((await stack.aws.amp.send(new DescribeWorkspaceCommand({ workspaceId: w.workspaceId }))).workspace?.status?.statusCode === 'DELETING' ? undefined : w)));
  return live.filter((w) => w !== undefined);
}

beforeAll(async () => {
  stack.sim.setAmpEndpointHost(ENDPOINT_HOST);
  // A hundred other stacks (amp-0 … amp-99), each with its own tag, straight into moto.
  for (let i = 0; i < 100; i++) {
    foreignIds.push((await stack.moto.amp.send(new CreateWorkspaceCommand({ alias: `${STACK}-${i}`, tags: { [TAG_KEY]: `${STACK}-${i}` } }))).workspaceId!);
  }
  // An earlier workspace of this very stack, being deleted: listed, but not one up may adopt.
  deletingId = (await stack.aws.amp.send(new CreateWorkspaceCommand({ alias: STACK, tags: { [TAG_KEY]: STACK } }))).workspaceId!;
  await eventually(async () => (await stack.aws.amp.send(new DescribeWorkspaceCommand({ workspaceId: deletingId }))).workspace?.status?.statusCode === 'ACTIVE', 10_000, 'workspace ACTIVE');
  stack.sim.setTiming({ ampDeleteMs: 10 * 60_000 });
  await stack.aws.amp.send(new DeleteWorkspaceCommand({ workspaceId: deletingId }));
  grafana = await startGrafanaStandin({
    password: async () => (await stack.aws.secrets.send(new GetSecretValueCommand({ SecretId: `fargate-prom/${STACK}/grafana-admin` }))).SecretString!,
  });
}, 60_000);
afterAll(async () => {
  await grafana?.stop();
});

describe('the stack\'s workspace among a hundred aliased <stack>-… and one being deleted', () => {
  let workspaceId: string;

  it('AWS (the simulation) lists them all for the alias, 100 to a page', async () => {
    const first = await stack.aws.amp.send(new ListWorkspacesCommand({ alias: STACK }));
    expect(first.workspaces).toHaveLength(100);
    expect(first.nextToken).toBeTruthy();
    const second = await stack.aws.amp.send(new ListWorkspacesCommand({ alias: STACK, nextToken: first.nextToken }));
    expect(second.workspaces?.map((w) => [w.workspaceId, w.status?.statusCode])).toEqual([[deletingId, 'DELETING']]);
  });

  it('up twice makes exactly one workspace, aliased exactly like the stack and tagged, and touches no other', async () => {
    const first = await up('--grafana-url', grafana.url);
    expect(first.code, first.stderr).toBe(0);
    const created = await ours();
    expect(created).toHaveLength(1);
    workspaceId = created[0].workspaceId!;
    expect(workspaceId).not.toBe(deletingId);
    expect(first.json().resources.find((r: any) => r.kind === 'amp-workspace')).toMatchObject({ action: 'create', id: workspaceId });

    const second = await up('--grafana-url', grafana.url);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json().resources.find((r: any) => r.kind === 'amp-workspace')).toMatchObject({ action: 'unchanged', id: workspaceId });
    expect((await ours()).map((w) => w.workspaceId)).toEqual([workspaceId]);

    // The hundred others are as they were: same ids, aliases and tags.
    const others = (await motoWorkspaces()).filter((w) => w.alias !== STACK);
    expect(others.map((w) => w.workspaceId).sort()).toEqual([...foreignIds].sort());
    expect(others.every((w) => w.tags?.[TAG_KEY] === w.alias)).toBe(true);
  }, 180_000);

  it('the remote-write URL (task definition, up, status, agent-config) and the datasource URL come from the workspace\'s endpoint', async () => {
    const base = `https://${ENDPOINT_HOST}/workspaces/${workspaceId}`;
    const remoteWrite = `${base}/api/v1/remote_write`;
    const td = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${STACK}-app` }))).taskDefinition!;
    const agentConfig = td.containerDefinitions!.find((c) => c.name === 'prometheus-agent')!.environment!.find((e) => e.name === 'PROM_AGENT_CONFIG')!.value!;
    expect(agentConfig).toContain(`url: ${remoteWrite}`);
    expect(agentConfig).not.toContain('amazonaws.com/');

    const status = await cli(['status', '--name', STACK, '--json']);
    expect(status.json().amp.remoteWriteUrl).toBe(remoteWrite);
    const config = await cli(['agent-config', '--name', STACK]);
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toContain(`url: ${remoteWrite}`);

    expect(grafana.datasources.get(`${STACK}-amp`)?.url).toBe(base);
  });

  it('destroy deletes ours and leaves the hundred others', async () => {
    stack.sim.setTiming({ ampDeleteMs: 100 });
    const run = await cli(['destroy', '--name', STACK, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    await eventually(async () => (await ours()).length === 0, 15_000, 'our workspace deleted');
    const left = (await motoWorkspaces()).map((w) => w.workspaceId!).sort();
    expect(left).toEqual(expect.arrayContaining(foreignIds));
    expect(left.filter((id) => !foreignIds.includes(id))).toEqual([]);
  }, 120_000);
});

describe('agent-config --workspace-id makes no AWS call', () => {
  it('builds the endpoint from the region\'s partition: amazonaws.com.cn in China', async () => {
    stack.sim.clearCalls();
    const id = 'ws-12345678-abcd-1234-abcd-123456789012';
    const run = await cli(['agent-config', '--workspace-id', id, '--region', 'cn-north-1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`url: https://aps-workspaces.cn-north-1.amazonaws.com.cn/workspaces/${id}/api/v1/remote_write`);
    expect(stack.sim.calls()).toEqual([]);
  });
});
