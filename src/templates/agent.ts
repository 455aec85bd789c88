import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { stringify } from 'yaml';
import { parseDurationSeconds } from '../config/options.js';

/**
 * Pinned upstream image (quay.io avoids Docker Hub's anonymous pull limits); multi-arch incl. arm64.
 * 3.13 is Prometheus's LTS line (supported to July 2027, https://prometheus.io/docs/introduction/release-cycle/).
 * The -busybox variant (tags since 3.10.0, release notes) keeps /bin/sh, which the start script runs
 * under, when upstream makes the distroless image the default tag (prometheus/prometheus#19079).
 */
export const PROMETHEUS_IMAGE = 'quay.io/prometheus/prometheus:v3.13.3-busybox';
export const AGENT_CONTAINER = 'prometheus-agent';
/** Replaced by the start script with the ECS task id read from the task metadata endpoint. */
export const TASK_ID_PLACEHOLDER = '__ECS_TASK_ID__';

export interface AgentInput {
  jobName: string;
  appPort: number;
  metricsPath: string;
  scrapeInterval: string;
  remoteWriteUrl: string;
  region: string;
}

/** The remote-write URL of a workspace, from its `prometheusEndpoint` (…/workspaces/<id>/). */
export function remoteWriteUrl(prometheusEndpoint: string): string {
  return `${prometheusEndpoint.replace(/\/*$/, '/')}api/v1/remote_write`;
}

/** The Prometheus agent configuration the sidecar runs (YAML). Same input, same bytes. */
export function renderAgentConfig(input: AgentInput): string {
  // Prometheus refuses a scrape timeout longer than the interval; its default is 10s.
  const timeout = parseDurationSeconds(input.scrapeInterval) < 10 ? input.scrapeInterval : '10s';
  return stringify({
    global: { scrape_interval: input.scrapeInterval, scrape_timeout: timeout },
    scrape_configs: [{
      job_name: input.jobName,
      metrics_path: input.metricsPath,
      static_configs: [{ targets: [`localhost:${input.appPort}`] }],
      // Every task scrapes its own localhost: the task id tells the series of each task apart.
      relabel_configs: [{ target_label: 'instance', replacement: TASK_ID_PLACEHOLDER }],
    }],
    remote_write: [{
      url: input.remoteWriteUrl,
      // No keys: the default AWS credential chain, i.e. the ECS task role.
      sigv4: { region: input.region },
      // The queue settings AMP recommends.
      queue_config: { max_samples_per_send: 1000, max_shards: 200, capacity: 2500 },
    }],
  });
}

let script: string | undefined;
/** The start script, one source for the task definition and docker/prometheus-agent. */
export function agentStartScript(): string {
  // From src/templates or dist/templates alike: the script ships in src/templates.
  script ??= readFileSync(fileURLToPath(new URL('../../src/templates/agent-start.sh', import.meta.url)), 'utf8');
  return script;
}

/**
 * The sidecar's container definition: the pinned upstream image with the config carried in an
 * environment variable and written by the start script, so no custom image is needed.
 */
export function agentContainerDefinition(input: AgentInput & { logGroup: string; image?: string }): ContainerDefinition {
  return {
    name: AGENT_CONTAINER,
    image: input.image ?? PROMETHEUS_IMAGE,
    // A sidecar failure must not take the app down with it.
    essential: false,
    // Without it, an agent that exits stays down until the task is replaced; the app runs on either way.
    restartPolicy: { enabled: true },
    entryPoint: ['/bin/sh', '-c'],
    command: [agentStartScript()],
    environment: [{ name: 'PROM_AGENT_CONFIG', value: renderAgentConfig(input) }],
    memoryReservation: 64,
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': input.logGroup, 'awslogs-region': input.region, 'awslogs-stream-prefix': 'agent' },
    },
  };
}
