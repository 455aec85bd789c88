import { afterEach, beforeAll, expect } from 'vitest';
import { DescribeWorkspaceCommand, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { AMP_DATASOURCE_TYPE } from '../../src/grafana/datasource.js';
import { runCli, simEnv, type CliRun } from './cli.js';
import { startGrafanaStandin, type GrafanaStandin, type StandinOptions } from './grafana-standin.js';
import { withStack, type Stack } from './stack.js';

// What the Grafana test files share: the stack's names, one stack per file, stand-ins, and the checks.

export const STACK = 'graf';
export const REGION = 'us-east-1';
export const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';
export const DS_UID = `${STACK}-amp`;
export const DS_NAME = `AMP (${STACK})`;
export const DASH_UID = `${STACK}-nodejs`;
export const FOLDER_UID = `${STACK}-folder`;


let stack: Stack;
export let adminPassword: string;
const standins: GrafanaStandin[] = [];

/**
 * The AWS side (simulation and stack) is shared by a file: `up` is idempotent there and every test reads
 * the state it needs (the workspace, the secret) when it runs. Grafana is not: every test starts its own
 * stand-in with its own seeded state, so tests do not depend on each other's order and each one runs alone
 * with -t. Call once at the top of a test file; the helpers below work on the stack it starts.
 */
export function grafanaStack(): Stack {
  // Without --grafana-url against the emulator, this first up skips Grafana.
  stack = withStack({ name: STACK, args: ['--app-image', IMAGE, '--desired-count', '1', '--yes', '--json'] });
  beforeAll(async () => {
    adminPassword = await secretPassword();
    expectNoPassword(stack.up!);
  });
  afterEach(async () => {
    await Promise.all(standins.splice(0).map((g) => g.stop()));
  });
  return stack;
}

export async function secretPassword(): Promise<string> {
  return (await stack.aws.secrets.send(new GetSecretValueCommand({ SecretId: `fargate-prom/${STACK}/grafana-admin` }))).SecretString!;
}

export async function currentWorkspace(): Promise<string> {
  const list = await stack.aws.amp.send(new ListWorkspacesCommand({ alias: STACK }));
  return list.workspaces!.find((w) => w.status?.statusCode === 'ACTIVE')!.workspaceId!;
}

/** The stack's workspace with the endpoint AMP (moto) gives it, as status passes it to Grafana's section. */
export async function currentWorkspaceEndpoint(): Promise<{ workspaceId: string; prometheusEndpoint: string }> {
  const workspaceId = await currentWorkspace();
  const w = (await stack.aws.amp.send(new DescribeWorkspaceCommand({ workspaceId }))).workspace!;
  return { workspaceId, prometheusEndpoint: w.prometheusEndpoint! };
}

/** Neither the admin password nor its basic-auth form appears in a run's output. */
export function expectNoPassword(run: CliRun) {
  const basic = Buffer.from(`admin:${adminPassword}`).toString('base64');
  for (const out of [run.stdout, run.stderr]) {
    expect(out.includes(adminPassword), 'the admin password is in the output').toBe(false);
    expect(out.includes(basic), 'the basic-auth header is in the output').toBe(false);
  }
}

/** Runs the built CLI; every run of this file is checked for the admin password in its output. */
export async function cli(args: string[]): Promise<CliRun> {
  const run = await runCli(args, simEnv());
  expectNoPassword(run);
  return run;
}

const upArgs = (...extra: string[]) => ['up', '--name', STACK, '--endpoint-url', stack.sim.endpoint, '--app-image', IMAGE, '--desired-count', '1', '--yes', ...extra];
export const up = (...extra: string[]) => cli(upArgs(...extra));
export const upJson = (g: GrafanaStandin, ...extra: string[]) => up('--json', '--grafana-url', g.url, ...extra);
export const status = (g: GrafanaStandin, ...extra: string[]) => cli(['status', '--name', STACK, '--endpoint-url', stack.sim.endpoint, '--grafana-url', g.url, ...extra]);

/** A fresh, empty Grafana (like a new task): it learns its admin password from the stack's secret, as ECS injects it. */
export async function standin(opts: Partial<StandinOptions> = {}): Promise<GrafanaStandin> {
  const g = await startGrafanaStandin({ password: secretPassword, ...opts });
  standins.push(g);
  return g;
}

/**
 * A Grafana as a completed `up` leaves it, made by the built CLI's own `up --grafana-url` (so a test of
 * "unchanged" or of drift compares a later run with what a real run left): the AMP datasource, the
 * folder and dashboard 11159; its log cleared.
 */
export async function configured(opts: Partial<StandinOptions> = {}): Promise<GrafanaStandin> {
  const g = await standin(opts);
  const run = await upJson(g);
  expect(run.code, run.stderr).toBe(0);
  expect(g.datasources.has(DS_UID) && g.dashboards.has(DASH_UID)).toBe(true);
  expect(g.violations).toEqual([]);
  g.clearLog();
  return g;
}

/** Calls Grafana's API as a user would (basic auth as admin). */
export function api(g: GrafanaStandin, method: string, route: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${g.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Every string under any `datasource` key, and every datasource object, of a stored dashboard. */
export function datasourceRefs(node: any, out: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach((n) => datasourceRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource') out.push(v);
      else datasourceRefs(v, out);
    }
  }
  return out;
}

/** The imported dashboard points every panel, every query and the template variable at the AMP datasource. */
export function expectPointsAtAmp(dashboard: any, panelCount: number) {
  const ref = { type: AMP_DATASOURCE_TYPE, uid: DS_UID };
  expect(dashboard.panels).toHaveLength(panelCount);
  for (const p of dashboard.panels) {
    expect(p.datasource, p.title).toEqual(ref);
    expect(p.targets.length, p.title).toBeGreaterThan(0);
    for (const t of p.targets) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(ref);
  }
  const vars = dashboard.templating.list.filter((v: any) => v.type === 'query');
  expect(vars.map((v: any) => v.name)).toEqual(['instance']);
  expect(vars[0].datasource).toEqual(ref);
  // Nothing still names another datasource: not "Prometheus", not ${DS_PROMETHEUS}, only Grafana's built-in annotations.
  const others = datasourceRefs(dashboard).filter((r) => !(r && r.uid === DS_UID && r.type === AMP_DATASOURCE_TYPE));
  for (const r of others) expect(JSON.stringify(r)).toMatch(/-- Grafana --/);
  expect(JSON.stringify(dashboard)).not.toContain('DS_PROMETHEUS');
  expect(dashboard.__inputs).toBeUndefined();
}

export function errorLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((l) => l.startsWith('error:'));
}
