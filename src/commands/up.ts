import { parseUpOptions, type UpOptions } from '../config/options.js';
import { CliError, InputError } from '../errors.js';
import { apply, ApplyError, observeAll, plan, type Observation, type PlannedChange } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import type { AwsClients } from '../aws/clients.js';
import { checkCertificate } from '../stack/certificate.js';
import { checkEfsZones, resolveNetwork } from '../stack/network.js';
import { dnsReport, findPublicZone, type DnsReport } from '../stack/dns.js';
import { makeSpec } from '../stack/spec.js';
import { stackEndpoints, workspaceEndpoint, type StackEndpoints } from '../stack/endpoints.js';
import { grafanaUpStep, type GrafanaUpReport } from '../grafana/up-step.js';
import type { CommandIo } from '../ui/io.js';
import { renderPlan } from '../ui/render.js';
import { withTimeScale } from '../util/time.js';
import { awsSummary, type AwsSummary } from './result.js';
import { openSession, resolveRegion } from './session.js';

/** What `up` is asked to do: the parsed flags, and how the sandbox wants it run. */
export interface UpRun extends UpOptions {
  /** Show the plan with the progress (on stderr) before applying it: the sandbox does. */
  showPlan?: boolean;
}

type ReportHeader = { stack: string; region: string };
export type PlanItem = Pick<ResourceReport, 'kind' | 'name' | 'id' | 'action' | 'differences'>;
/** `up --json` on success, field for field. */
export type UpReport = ReportHeader & { resources: PlanItem[] } & Omit<StackEndpoints, 'grafana'> & {
  dns?: DnsReport;
  grafana: GrafanaUpReport;
  waited: boolean;
  aws: AwsSummary;
};

/** What `up` did; `error`, when set, is reported after the result is shown. */
export type UpResult =
  | { outcome: 'planned'; changes: PlannedChange[]; report: ReportHeader & { dryRun: true; resources: PlanItem[] } & StackEndpoints; error?: undefined }
  | { outcome: 'applied'; report: UpReport; error?: undefined }
  /** AWS changes stopped (ApplyError) or Grafana refused after them: what is known, then the error. */
  | { outcome: 'failed'; report: ReportHeader & { error: string; resources: ResourceReport[] } & StackEndpoints; error: CliError };

/** Create or update the stack; prompts (the app image) go through `io`. */
export function runUp(opts: UpRun, io: CommandIo): Promise<UpResult> {
  return withTimeScale(io.timeScale, () => up({ ...opts }, io));
}

async function up(opts: UpRun, io: CommandIo): Promise<UpResult> {
  // The region is resolved before the prompt so a certificate from another region fails first.
  opts.region ??= await resolveRegion(opts.profile);
  const certificateRegion = opts.certificateArn?.split(':')[3];
  if (certificateRegion && certificateRegion !== opts.region) {
    throw new InputError(`--certificate-arn: the certificate is in ${certificateRegion} but the stack is in ${opts.region}; use a certificate from the same region (ALBs only accept those)`);
  }
  if (!opts.appImage) opts.appImage = await askAppImage(opts, io);
  const session = await openSession(opts, io);
  const { reporter } = session;
  try {
    // The resource modules bring the SDK clients of every service (a few hundred ms to load): they load
    // while the network lookup is in flight.
    const resourcesModule = import('../stack/resources.js');
    resourcesModule.catch(() => {}); // awaited below; a failed lookup first must not leave it unhandled
    reporter.phase(opts.certificateArn ? 'Looking up the VPC, subnets and certificate' : 'Looking up the VPC and subnets');
    const [network, dns] = await Promise.all([
      resolveNetwork(session.aws, opts.vpcId, opts.subnetIds),
      opts.certificateArn ? domainAndZone(session.aws, opts.certificateArn, opts.domain) : undefined,
    ]);
    opts.domain = dns?.domain;
    const { stackResources } = await resourcesModule;
    const spec = makeSpec(opts.name, session.region, opts, network);
    spec.dns = dns;
    const stack = stackResources(spec);
    const resources = stack.all;
    const ctx = session.context(spec, opts.wait);

    reporter.phase(`Observing ${resources.length} resources of stack ${spec.name} in ${spec.region}`);
    // Whether the subnets' zones can have EFS mount targets: one read-only call, asked while the stack is
    // observed (it needs the subnets, and observing takes longer), answered before any change or plan.
    const [observed] = await Promise.all([observeAll(resources, ctx), stack.efs ? checkEfsZones(session.aws, network) : undefined]);
    const changes = await plan(resources, observed, ctx);

    // Warned before a dry run too: the plan is where a user decides.
    if (opts.allowCidrDefaulted) {
      reporter.warn('the load balancer accepts traffic from anywhere (0.0.0.0/0); pass --allow-cidr to restrict it');
    }
    if (!opts.certificateArn) {
      reporter.warn('no --certificate-arn: the app and Grafana (and its admin password, when the CLI signs in) are served over plain HTTP');
    }
    if (!stack.efs) {
      // Switching to ephemeral keeps the file system: it holds Grafana's data, and up never deletes data on a
      // flag's say-so. destroy still finds and deletes it (status and destroy always look for it).
      const fs = await stack.fileSystem.observe(ctx);
      if (fs?.owned) {
        reporter.warn(`--grafana-storage ephemeral: Grafana no longer uses EFS file system ${spec.names.grafanaFileSystem} (${fs.id}); up keeps it, its mount targets and access point with Grafana's old data (billed per GB-month); destroy deletes them`);
      }
    }
    const header = { stack: spec.name, region: spec.region };
    if (opts.dryRun) {
      reporter.stop();
      return { outcome: 'planned', changes, report: { ...header, dryRun: true, resources: changes.map((c) => planReport(c, observed)), ...stackEndpoints(ctx, stack) } };
    }
    if (opts.showPlan) reporter.block(renderPlan(spec.name, spec.region, changes, false));
    const pending = changes.filter((c) => c.action !== 'unchanged').length;
    reporter.phase(pending ? `Applying ${pending} change${pending === 1 ? '' : 's'}` : 'Checking that everything is ready');

    let reports: ResourceReport[];
    try {
      reports = await apply(changes, observed, ctx);
    } catch (err) {
      if (!(err instanceof ApplyError)) throw err;
      reporter.stop();
      return { outcome: 'failed', report: { ...header, error: err.message, resources: err.completed, ...stackEndpoints(ctx, stack) }, error: err };
    }
    const endpoints = stackEndpoints(ctx, stack);
    const domain = dnsReport(ctx, stack);
    const resourceReports = reports.map(({ kind, name, id, action, differences }) => ({ kind, name, id, action, ...(differences?.length ? { differences } : {}) }));
    // Grafana over its HTTP API, once the AWS side is in place; a failure here makes no further AWS change.
    let grafana: GrafanaUpReport;
    try {
      grafana = await grafanaUpStep({
        aws: session.aws,
        spec,
        reporter,
        signal: session.signal,
        stackUrl: endpoints.grafana.url,
        grafanaUrl: opts.grafanaUrl,
        workspace: workspaceEndpoint(stack.workspace.peek(ctx)),
        wait: opts.wait,
        endpointUrl: opts.endpointUrl,
        ampEndpointUrl: opts.ampEndpointUrl,
        // Without a Route 53 zone the user creates the record: until it resolves, Grafana cannot be reached by name.
        awaitingDns: domain?.create ? domain.domain : undefined,
      });
    } catch (err) {
      reporter.stop();
      if (!(err instanceof CliError)) throw err;
      const report = { ...header, error: err.message, resources: resourceReports, ...endpoints, grafana: { ...endpoints.grafana, provisioning: 'failed' as const, error: err.message } };
      return { outcome: 'failed', report, error: err };
    }
    reporter.stop();
    return {
      outcome: 'applied',
      report: {
        ...header,
        resources: resourceReports,
        ...endpoints,
        ...(domain ? { dns: domain } : {}),
        grafana,
        waited: opts.wait,
        aws: awsSummary(session.aws),
      },
    };
  } finally {
    session.close();
  }
}

/** The host HTTPS is served under (checked against the certificate) and the public zone holding it. Read-only. */
async function domainAndZone(aws: AwsClients, certificateArn: string, domain: string | undefined) {
  const served = await checkCertificate(aws, certificateArn, domain);
  return { domain: served, zone: await findPublicZone(aws, served) };
}

function planReport(c: PlannedChange, observed: Observation) {
  const id = observed.get(c.resource)?.id;
  return { kind: c.resource.kind, name: c.resource.name, ...(id ? { id } : {}), action: c.action, ...(c.differences.length ? { differences: c.differences } : {}) };
}

async function askAppImage(opts: UpOptions, io: CommandIo): Promise<string> {
  if (opts.yes || opts.json || !io.interactive) {
    throw new InputError('--app-image: required when there is no prompt (--yes, --json or no terminal); pass the image to deploy, e.g. --app-image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0');
  }
  const image = await io.ask({
    message: 'Container image of your app (it must serve Prometheus metrics):',
    validate: (v) => (parseImage(v) ? true : 'an image reference such as ghcr.io/me/app:1.0'),
  });
  return parseImage(image)!;
}

function parseImage(v: string): string | undefined {
  try {
    return parseUpOptions({ appImage: v }).appImage;
  } catch {
    return undefined;
  }
}

