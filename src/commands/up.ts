import { ampEndpointFromEnv, parseUpOptions, type RawOptions, type UpOptions } from '../config/options.js';
import { CliError, ExitCode, InputError } from '../errors.js';
import { apply, ApplyError, observeAll, plan, type Observation, type PlannedChange } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import type { AwsClients } from '../aws/clients.js';
import { checkCertificate } from '../stack/certificate.js';
import { resolveNetwork } from '../stack/network.js';
import { dnsReport, findPublicZone, renderDns } from '../stack/dns.js';
import { makeSpec } from '../stack/spec.js';
import { stackEndpoints, workspaceEndpoint } from '../stack/endpoints.js';
import { grafanaUpStep, renderGrafanaUp, type GrafanaUpReport } from '../grafana/up-step.js';
import { isInteractive } from '../ui/index.js';
import { renderApplyFailure, renderPlan, renderUpResult } from '../ui/render.js';
import { openSession, printJson, resolveRegion } from './session.js';

/** `up`, or with --sandbox the whole job on this machine. */
export async function upOrSandbox(raw: RawOptions): Promise<number> {
  if (raw.sandbox === true) return (await import('./sandbox.js')).sandboxCommand(raw);
  if (raw.once === true) throw new InputError('--once: it only applies to the sandbox; add --sandbox or drop --once');
  return upCommand(raw);
}

export async function upCommand(raw: RawOptions): Promise<number> {
  const opts = parseUpOptions(raw);
  // Where Grafana's datasource sends its queries instead of AMP (local use): FARGATE_PROM_AMP_ENDPOINT,
  // or the sandbox's local data plane, which the sandbox passes in-process (up has no such flag).
  const ampEndpointUrl = typeof raw.ampEndpointUrl === 'string' ? raw.ampEndpointUrl : ampEndpointFromEnv();
  // The region is resolved before the prompt so a certificate from another region fails first.
  opts.region ??= await resolveRegion(opts.profile);
  const certificateRegion = opts.certificateArn?.split(':')[3];
  if (certificateRegion && certificateRegion !== opts.region) {
    throw new InputError(`--certificate-arn: the certificate is in ${certificateRegion} but the stack is in ${opts.region}; use a certificate from the same region (ALBs only accept those)`);
  }
  if (!opts.appImage) opts.appImage = await askAppImage(opts);
  const session = await openSession(opts);
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
    const observed = await observeAll(resources, ctx);
    const changes = await plan(resources, observed, ctx);

    // Warned before a dry run too: the plan is where a user decides.
    if (opts.allowCidrDefaulted) {
      reporter.warn('the load balancer accepts traffic from anywhere (0.0.0.0/0); pass --allow-cidr to restrict it');
    }
    if (!opts.certificateArn) {
      reporter.warn('no --certificate-arn: the app and Grafana (and its admin password, when the CLI signs in) are served over plain HTTP');
    }
    if (opts.dryRun) {
      reporter.stop();
      if (opts.json) printJson({ stack: spec.name, region: spec.region, dryRun: true, resources: changes.map((c) => planReport(c, observed)), ...stackEndpoints(ctx, stack) });
      else process.stdout.write(renderPlan(spec.name, spec.region, changes));
      return ExitCode.ok;
    }
    // The sandbox shows what it is about to apply, with the progress.
    if (raw.showPlan === true) reporter.block(renderPlan(spec.name, spec.region, changes, false));
    const pending = changes.filter((c) => c.action !== 'unchanged').length;
    reporter.phase(pending ? `Applying ${pending} change${pending === 1 ? '' : 's'}` : 'Checking that everything is ready');

    let reports: ResourceReport[];
    try {
      reports = await apply(changes, observed, ctx);
    } catch (err) {
      if (err instanceof ApplyError) {
        reporter.stop();
        process.stderr.write(renderApplyFailure('up', err));
        if (opts.json) printJson({ stack: spec.name, region: spec.region, error: err.message, resources: err.completed, ...stackEndpoints(ctx, stack) });
      }
      throw err;
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
        ampEndpointUrl,
        // Without a Route 53 zone the user creates the record: until it resolves, Grafana cannot be reached by name.
        awaitingDns: domain?.create ? domain.domain : undefined,
      });
    } catch (err) {
      reporter.stop();
      if (opts.json && raw.quietResult !== true && err instanceof CliError) {
        printJson({ stack: spec.name, region: spec.region, error: err.message, resources: resourceReports, ...endpoints, grafana: { ...endpoints.grafana, provisioning: 'failed', error: err.message } });
      }
      throw err;
    }
    reporter.stop();
    const summary = session.aws.stats.summary();
    const result = {
      stack: spec.name,
      region: spec.region,
      resources: resourceReports,
      ...endpoints,
      ...(domain ? { dns: domain } : {}),
      grafana,
      waited: opts.wait,
      aws: { calls: summary.calls, mutatingCalls: summary.mutatingCalls, retries: summary.retries },
    };
    // quietResult: the sandbox runs up in-process and prints only its own result.
    if (raw.quietResult === true) return ExitCode.ok;
    if (opts.json) printJson(result);
    else process.stdout.write(renderUpResult(result) + renderDns(domain) + renderGrafanaUp(grafana));
    return ExitCode.ok;
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

async function askAppImage(opts: UpOptions): Promise<string> {
  if (opts.yes || opts.json || !isInteractive()) {
    throw new InputError('--app-image: required when there is no prompt (--yes, --json or no terminal); pass the image to deploy, e.g. --app-image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0');
  }
  const { default: inquirer } = await import('inquirer');
  const { image } = await inquirer.prompt<{ image: string }>([{
    type: 'input',
    name: 'image',
    message: 'Container image of your app (it must serve Prometheus metrics):',
    validate: (v: string) => (parseImage(v) ? true : 'an image reference such as ghcr.io/me/app:1.0'),
  }]);
  return parseImage(image)!;
}

function parseImage(v: string): string | undefined {
  try {
    return parseUpOptions({ appImage: v }).appImage;
  } catch {
    return undefined;
  }
}

