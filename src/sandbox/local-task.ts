import { spawn, type ChildProcess } from 'node:child_process';
import { stopProcess } from '@fargate-prom/aws-sim/util/process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { parse } from 'yaml';
import { makeSpec } from '../stack/spec.js';
import { AGENT_CONTAINER } from '../templates/agent.js';
import { APP_CONTAINER } from '../resources/task-definition.js';
import { startSigningProxy, startTaskMetadataEndpoint, type DataPlaneCredentials } from '@fargate-prom/aws-sim';
import { freeLoopbackPort } from '@fargate-prom/aws-sim/util/ports';
import { sdk } from '../aws/sdk.js';

const { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } = sdk.logs();
const { DescribeTaskDefinitionCommand, ECSClient } = sdk.ecs();

const SAMPLE_APP = fileURLToPath(new URL('../../docker/metrics-app/server.js', import.meta.url));

export interface LocalTaskOptions {
  /** The AWS endpoint (the simulation) the stack was created in. */
  awsEndpoint: string;
  region: string;
  credentials: DataPlaneCredentials;
  stack: string;
  appPort: number;
  /** The local AMP data plane the agent writes to instead of AMP. */
  planeUrl: string;
  /** The ECS task this one plays (its metadata endpoint's TaskARN); default: a made-up one. */
  taskArn?: string;
  /** The keys the agent signs with; default `credentials`. Others are refused by the data plane. */
  agentCredentials?: DataPlaneCredentials;
  /**
   * The Prometheus binary the agent runs (default: `prometheus` on PATH). Set `agentSigns` when it
   * SigV4-signs remote writes itself (upstream, Debian 13's 2.53); then no signing proxy is put between.
   */
  prometheusBin?: string;
  agentSigns?: boolean;
  /** Every output line of the app and the agent, as it comes. */
  onLine?: (container: string, line: string) => void;
}

export interface LocalTask {
  taskId: string;
  workspaceId: string;
  /** Stops the agent sidecar alone, as when it exits on Fargate: the task (and the app) keep running. */
  stopAgent(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs on this machine what one task of `<stack>-app` runs on Fargate: the sample app, and the agent
 * sidecar exactly as registered in ECS (its config and start script, against a task metadata
 * endpoint), with each container's output shipped to its CloudWatch log stream like the awslogs driver.
 * The one change: AMP's hostname does not resolve here, so remote-write goes to the local data plane —
 * through a signing proxy unless the agent signs itself (Debian 12's prometheus sends it unsigned).
 */
export async function startLocalAppTask(opts: LocalTaskOptions): Promise<LocalTask> {
  const stops: (() => Promise<unknown> | unknown)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    stops.length = 0;
  };
  try {
    const spec = makeSpec(opts.stack, opts.region);
    const aws = { endpoint: opts.awsEndpoint, region: opts.region, credentials: opts.credentials };
    const ecs = new ECSClient(aws);
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: spec.names.appFamily }))).taskDefinition!;
    ecs.destroy();
    const agent = td.containerDefinitions!.find((c) => c.name === AGENT_CONTAINER)!;
    const app = td.containerDefinitions!.find((c) => c.name === APP_CONTAINER)!;
    const registeredConfig = agent.environment!.find((e) => e.name === 'PROM_AGENT_CONFIG')!.value!;
    const remoteWrite = (parse(registeredConfig) as { remote_write: { url: string; sigv4: { region: string } }[] }).remote_write[0];
    const workspaceId = /\/workspaces\/(ws-[^/]+)\/api\/v1\/remote_write$/.exec(remoteWrite.url)?.[1];
    if (!workspaceId) throw new Error('the registered agent config has no AMP remote-write URL');

    let writeBase = opts.planeUrl;
    if (!opts.agentSigns) {
      const signer = await startSigningProxy({ target: opts.planeUrl, region: remoteWrite.sigv4.region, credentials: opts.agentCredentials ?? opts.credentials });
      stops.push(signer.stop);
      writeBase = signer.url;
    }
    const config = registeredConfig.replace(remoteWrite.url, `${writeBase}/workspaces/${workspaceId}/api/v1/remote_write`);
    const metadata = await startTaskMetadataEndpoint({ region: opts.region, cluster: spec.names.cluster, family: spec.names.appFamily, revision: td.revision, taskArn: opts.taskArn });
    stops.push(metadata.close);

    const logs = new CloudWatchLogsClient(aws);
    stops.push(() => logs.destroy());
    const appLog = await awslogsStream(logs, app, metadata.taskId);
    const agentLog = await awslogsStream(logs, agent, metadata.taskId);

    const appProcess = spawnContainer(process.execPath, [SAMPLE_APP], { PORT: String(opts.appPort) }, (line) => {
      appLog.write(line);
      opts.onLine?.(APP_CONTAINER, line);
    });
    stops.push(appLog.close, () => stopProcess(appProcess));
    const dir = mkdtempSync(join(tmpdir(), 'fargate-prom-task-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const agentProcess = spawnContainer(agent.entryPoint![0], [...agent.entryPoint!.slice(1), agent.command![0]], {
      PROM_AGENT_CONFIG: config,
      ECS_CONTAINER_METADATA_URI_V4: metadata.uri,
      PROMETHEUS_BIN: opts.prometheusBin ?? 'prometheus',
      PROM_CONFIG_FILE: join(dir, 'agent.yml'),
      PROM_STORAGE_PATH: join(dir, 'data'),
      PROM_LISTEN_ADDRESS: `127.0.0.1:${await freeLoopbackPort()}`,
      AWS_ACCESS_KEY_ID: (opts.agentCredentials ?? opts.credentials).accessKeyId,
      AWS_SECRET_ACCESS_KEY: (opts.agentCredentials ?? opts.credentials).secretAccessKey,
      AWS_REGION: opts.region,
    }, (line) => {
      agentLog.write(line);
      opts.onLine?.(AGENT_CONTAINER, line);
    });
    const stopAgent = async () => {
      await stopProcess(agentProcess);
      await agentLog.close();
    };
    stops.push(stopAgent);
    return { taskId: metadata.taskId, workspaceId, stopAgent, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Like the awslogs driver: stream `<prefix>/<container>/<task id>` in the container's log group. */
async function awslogsStream(logs: InstanceType<typeof CloudWatchLogsClient>, container: ContainerDefinition, taskId: string) {
  const options = container.logConfiguration?.options ?? {};
  const logGroupName = options['awslogs-group'];
  const logStreamName = `${options['awslogs-stream-prefix']}/${container.name}/${taskId}`;
  let pending: { timestamp: number; message: string }[] = [];
  let sending = Promise.resolve();
  const flush = () => {
    if (!pending.length || !logGroupName) return sending;
    const logEvents = pending;
    pending = [];
    sending = sending.then(() => logs.send(new PutLogEventsCommand({ logGroupName, logStreamName, logEvents })).then(() => undefined, () => undefined));
    return sending;
  };
  if (logGroupName) await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName })).catch(() => undefined);
  const timer = setInterval(flush, 250);
  return {
    write(message: string) {
      pending.push({ timestamp: Date.now(), message });
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

function spawnContainer(command: string, args: string[], env: Record<string, string>, onLine: (line: string) => void): ChildProcess {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const split = (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).forEach(onLine);
  child.stdout!.on('data', split);
  child.stderr!.on('data', split);
  return child;
}
