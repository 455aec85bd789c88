import { AmpQueryClient } from '../aws/amp-query.js';
import { sdk } from '../aws/sdk.js';
import { parseUpOptions, type RawOptions } from '../config/options.js';
import { CliError, InputError } from '../errors.js';
import { startAmpDataPlane } from '@fargate-prom/aws-sim';
import { startLocalAppTask } from '../sandbox/local-task.js';
import { sandboxToolsFor } from '../sandbox/tools.js';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim';
import { freeLoopbackPort as freePort } from '@fargate-prom/aws-sim/util/ports';
import { standInQueryBase } from '../stack/endpoints.js';
import { makeSpec } from '../stack/spec.js';
import type { CommandIo } from '../ui/io.js';
import { showDestroy, showLoad, showStatus, showUp } from '../ui/results.js';
import { sleep } from '../util/time.js';
import { runDestroy } from './destroy.js';
import { runLoad } from './load.js';
import { settle } from './result.js';
import { runStatus, statusExitCode } from './status.js';
import { runUp } from './up.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'SANDBOXACCESSKEY', secretAccessKey: 'sandbox-secret-key-not-a-real-one' };
const SAMPLE_IMAGE = 'fargate-prom/metrics-app:sandbox';
// The sandbox's options come from its own settings, never from the user's AWS_* or FARGATE_PROM_* variables.
const SANDBOX_ENV: NodeJS.ProcessEnv = {};
// `up --sandbox --once`: a few seconds of load before the final status (two scrapes at the sandbox's 5 s).
const ONCE_LOAD = { rate: 20, seconds: 6, connections: 4, settleMs: 10_000 };
// AWS's minutes are the simulation's milliseconds.
const TIME_SCALE = 0.01;

/** Things to stop, newest first, whatever happens. */
class Teardown {
  private readonly steps: { what: string; run: () => Promise<unknown> | unknown }[] = [];
  add(what: string, run: () => Promise<unknown> | unknown) {
    this.steps.push({ what, run });
  }
  async runAll(log: (line: string) => void) {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (err) {
        log(`could not stop ${step.what}: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * `up --sandbox`: the main job with no AWS account. The same `up`, `status` and `destroy` code runs
 * against moto behind the AWS simulation layer; the metrics pipeline runs for real on this machine:
 * the sample app, the agent with the config and start script `up` put in the task definition, and a
 * local Prometheus as AMP's data plane.
 */
export async function sandboxCommand(raw: RawOptions, io: CommandIo): Promise<number> {
  for (const flag of ['region', 'profile', 'endpointUrl', 'appImage', 'vpcId', 'subnetIds', 'certificateArn'] as const) {
    if (raw[flag] !== undefined) {
      throw new InputError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: the sandbox runs its own local AWS and sample app; drop this flag or drop --sandbox`);
    }
  }
  // From PATH, else from the cache, else installed there (src/sandbox/tools.ts).
  const tools = await sandboxToolsFor(io, raw.json === true);
  // Of the user's flags, up takes --name, --grafana-url and --scrape-interval; the rest is the sandbox's.
  // The port is the app's free port, filled in once known. The credentials are dummies the local AWS accepts.
  const opts = {
    ...parseUpOptions({ name: raw.name, region: REGION, yes: true, grafanaUrl: raw.grafanaUrl, appImage: SAMPLE_IMAGE, desiredCount: '1', scrapeInterval: raw.scrapeInterval ?? '5s' }, SANDBOX_ENV),
    credentials: CREDENTIALS,
  };
  const { name } = opts;
  const json = raw.json === true;
  const sandboxIo: CommandIo = { ...io, timeScale: TIME_SCALE };
  const say = (line: string) => io.stderr.write(`sandbox: ${line}\n`);

  const teardown = new Teardown();
  const interrupted = new AbortController();
  const onSigint = () => interrupted.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let sim: Simulation | undefined;
  let stackUp = false;
  try {
    say('starting the local AWS (moto behind the simulation layer) and the local AMP data plane');
    sim = await startSimulation({ region: REGION, survivesSignals: true, motoServer: tools.motoServer });
    teardown.add('the local AWS', sim.stop);
    const plane = await startAmpDataPlane({ region: REGION, credentials: CREDENTIALS, prometheusBin: tools.prometheus });
    teardown.add('the local AMP data plane', plane.stop);
    say(`local AWS at ${sim.endpoint}, local AMP data plane at ${plane.url}`);

    const appPort = await freePort();
    // ampEndpointUrl: up points Grafana's datasource at the local data plane; status queries it and expects that datasource.
    const common = { ...opts, endpointUrl: sim.endpoint, ampEndpointUrl: plane.url };
    const credentialsEnv = `AWS_ACCESS_KEY_ID=${CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${CREDENTIALS.secretAccessKey} AWS_REGION=${REGION}`;
    if (raw.grafanaUrl) {
      // The datasource signs its queries with Grafana's own credential chain; the local data plane knows only the sandbox's keys.
      say(`Grafana's AMP datasource will query the local data plane; start Grafana with ${credentialsEnv} in its environment`);
    }
    stackUp = true;
    // The plan goes with the progress, to stderr: with --json, stdout carries the status document alone
    // (up's and destroy's failures are shown either way).
    const upResult = await runUp({ ...common, appPort, json: false, showPlan: true }, sandboxIo);
    if (!json || upResult.outcome === 'failed') showUp(upResult, false, io);
    settle(upResult);
    if (!raw.grafanaUrl) say('Grafana is skipped in the sandbox (no Grafana server here); pass --grafana-url to configure one');

    say('starting the sample app and the agent sidecar, as the app task runs them');
    const verbose = Boolean(process.env.FARGATE_PROM_SANDBOX_VERBOSE);
    const task = await startLocalAppTask({
      awsEndpoint: sim.endpoint, region: REGION, credentials: CREDENTIALS, stack: name, appPort, planeUrl: plane.url,
      prometheusBin: tools.prometheus, agentSigns: tools.prometheusSigns,
      // The local task plays one the simulated service runs, so the agent's instance label is a real task id.
      taskArn: await runningAppTask(sim.endpoint, name),
      // Only warnings, errors and the start script's own lines; routine logs would drown the status.
      onLine: (container, line) => {
        if (verbose || /level=(error|warn)|^fargate-prom-agent:|error/i.test(line)) io.stderr.write(`  [${container}] ${line}\n`);
      },
    });
    teardown.add('the app task (sample app, agent, metadata endpoint)', task.stop);
    const { workspaceId } = task;

    say('waiting for the first samples to arrive');
    await waitForSamples(plane.url, workspaceId, name, interrupted.signal);
    // The ALB's name in the local AWS resolves nowhere: load goes straight to the local app, and the
    // charts come from the data plane, which holds what the agent really scraped.
    const appUrl = `http://127.0.0.1:${appPort}/`;
    if (raw.once === true && !interrupted.signal.aborted) {
      // A few scrapes first, so the charts have a before.
      await sleep(ONCE_LOAD.settleMs, interrupted.signal).catch(() => undefined);
      say('a short load on the sample app, to see the charts move');
      const load = await runLoad({ ...common, json: false, appUrl, rate: ONCE_LOAD.rate, durationSeconds: ONCE_LOAD.seconds, connections: ONCE_LOAD.connections }, sandboxIo);
      // With --json stdout is the status document alone: the load report goes with the progress.
      showLoad(load, false, json ? { stdout: io.stderr, stderr: io.stderr } : io);
    }
    const statusResult = await runStatus({ ...common, json }, sandboxIo);
    showStatus(statusResult, json, io);
    const statusCode = settle(statusResult, statusExitCode(statusResult));
    if (raw.once !== true) {
      say(`running; from another shell: ${credentialsEnv} fargate-prom status --name ${name} --endpoint-url ${sim.endpoint} --amp-endpoint-url ${plane.url}`);
      say(`load it from another shell: ${credentialsEnv} fargate-prom load --name ${name} --endpoint-url ${sim.endpoint} --amp-endpoint-url ${plane.url} --app-url ${appUrl} --duration 30s`);
      say('press Ctrl-C to tear everything down');
      await new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve(), { once: true }));
      say('stopping');
    }
    return statusCode;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (sim && stackUp) {
      say('destroying the stack');
      await runDestroy({ ...opts, endpointUrl: sim.endpoint, json: false }, sandboxIo)
        .then((result) => {
          if (!json || result.outcome === 'failed') showDestroy(result, false, io);
          settle(result);
        })
        .catch((err) => say(`destroy failed: ${(err as Error).message}`));
    }
    await teardown.runAll(say);
  }
}

/** The ARN of a RUNNING task of the stack's app service in the local AWS. */
async function runningAppTask(endpoint: string, stack: string): Promise<string> {
  const { names } = makeSpec(stack, REGION);
  const { ECSClient, ListTasksCommand } = sdk.ecs();
  const ecs = new ECSClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  try {
    const out = await ecs.send(new ListTasksCommand({ cluster: names.cluster, serviceName: names.appService, desiredStatus: 'RUNNING' }));
    const arn = out.taskArns?.[0];
    if (!arn) throw new CliError(`the local AWS runs no task of ${names.appService} after up`);
    return arn;
  } finally {
    ecs.destroy();
  }
}

/** Until the first samples of the stack's job are queryable through the data plane (bounded). */
async function waitForSamples(planeUrl: string, workspaceId: string, job: string, signal: AbortSignal): Promise<void> {
  const query = new AmpQueryClient(standInQueryBase(planeUrl, workspaceId), REGION, async () => CREDENTIALS);
  const deadline = Date.now() + 90_000;
  while (!signal.aborted) {
    const up = await query.instant(`up{job=${JSON.stringify(job)}} == 1`).catch(() => []);
    if (up.length) return;
    if (Date.now() > deadline) throw new CliError('no samples reached the local AMP data plane within 90s; rerun with FARGATE_PROM_SANDBOX_VERBOSE=1 to see the agent\'s log', 'TIMEOUT');
    await sleep(500);
  }
}
