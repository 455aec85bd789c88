// The metrics pipeline with real binaries, on loopback only: generated agent configs against
// `promtool`, the sidecar start script under plain POSIX shells (dash, and busybox sh where installed), the
// real Prometheus 2.42 in agent mode scraping the real sample app and remote-writing, SigV4-signed, to a
// local AMP data plane.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { GrafanaClient } from '../src/grafana/api.js';
import { provisionGrafana } from '../src/grafana/provision.js';
import { silentReporter } from '../src/ui/reporter.js';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS_IMAGE, TASK_ID_PLACEHOLDER, remoteWriteUrl, renderAgentConfig, type AgentInput } from '../src/templates/agent.js';
import { partitionPrometheusEndpoint } from '../src/stack/endpoints.js';
import { startTaskMetadataEndpoint, type TaskMetadataEndpoint, type TestTaskMetadataOptions } from '@fargate-prom/aws-sim/testing';
import { freeLoopbackPort as freePort } from '@fargate-prom/aws-sim/util/ports';
import { startAmpDataPlane, type AmpDataPlane } from '@fargate-prom/aws-sim';
import { startSigningProxy, type SigningProxy } from '@fargate-prom/aws-sim';
import { Tracker, promQuery, type Proc } from './support/pipeline-procs.js';
import { eventually } from './support/sim-fixtures.js';
import { startGrafanaStandin } from './support/grafana-standin.js';
import { FIXTURES, underCi } from './support/environment.js';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const START_SCRIPT = join(ROOT, 'src/templates/agent-start.sh');
const APP = join(ROOT, 'docker/metrics-app/server.js');
const DASHBOARD = resolve(FIXTURES, 'dashboard-11159.json');
const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'PIPELINE-TEST-KEY-0001', secretAccessKey: 'pipeline-test-secret-key-0001' };

const tracker = new Tracker();
const metadataEndpoints: TaskMetadataEndpoint[] = [];
afterAll(async () => {
  await tracker.cleanup();
  await Promise.all(metadataEndpoints.splice(0).map((m) => m.close()));
});

async function metadataEndpoint(opts: Pick<TestTaskMetadataOptions, 'notReadyFor' | 'hang' | 'port'> = {}): Promise<TaskMetadataEndpoint> {
  const m = await startTaskMetadataEndpoint({ region: REGION, cluster: 'shop-cluster', family: 'shop-app', revision: 3, ...opts });
  metadataEndpoints.push(m);
  return m;
}

function agentInput(over: Partial<AgentInput> = {}): AgentInput {
  return {
    jobName: 'shop',
    appPort: 8080,
    metricsPath: '/metrics',
    scrapeInterval: '15s',
    remoteWriteUrl: remoteWriteUrl(partitionPrometheusEndpoint(REGION, 'ws-0123abcd-4567-89ef-0123-456789abcdef')),
    region: REGION,
    ...over,
  };
}

/**
 * The POSIX shells the start script runs under, named explicitly: dash (Debian's /bin/sh), and busybox
 * sh, the shell of the Prometheus image. A machine without busybox skips its cases; CI (which installs
 * it) fails them instead: the image's own shell is the one that matters.
 */
interface Shell { name: string; argv: string[]; missing?: string }
const DASH: Shell = { name: 'dash', argv: ['dash'] };
const BUSYBOX: Shell = {
  name: 'busybox sh',
  argv: ['busybox', 'sh'],
  missing: spawnSync('sh', ['-c', 'command -v busybox']).status === 0 ? undefined : 'busybox is not installed on this machine',
};
const SHELLS = [DASH, BUSYBOX];
const underShell = (shell: Shell, what: string) => `${what}, under ${shell.name}${shell.missing && !underCi ? ` (skipped: ${shell.missing})` : ''}`;
const skipShell = (shell: Shell) => Boolean(shell.missing) && !underCi;

/** Fails the cases under a missing shell (reached only under CI, where they are not skipped). */
function requireShell(shell: Shell): void {
  if (shell.missing) throw new Error(`${shell.missing}: install it (Debian: apt-get install busybox); CI must run the start script under the image's shell`);
}

/** The start script under `shell`, with only the env given. */
function runStartScript(name: string, dir: string, env: Record<string, string | undefined>, shell: Shell = DASH): Proc {
  return tracker.spawn(name, shell.argv[0], [...shell.argv.slice(1), START_SCRIPT], {
    PATH: process.env.PATH,
    HOME: dir, // no ~/.aws of this machine
    PROM_CONFIG_FILE: join(dir, 'etc/agent.yml'),
    PROM_STORAGE_PATH: join(dir, 'wal'),
    ...env,
  });
}

describe('generated agent configs pass promtool check config --agent', () => {
  it('across intervals, metrics paths, ports and regions', async () => {
    const dir = tracker.tempDir('promtool');
    const files: Array<{ file: string; input: AgentInput; yaml: string }> = [];
    for (const scrapeInterval of ['1s', '5s', '15s', '60s', '5m']) {
      for (const metricsPath of ['/metrics', '/internal/prometheus']) {
        for (const appPort of [80, 3000, 65535]) {
          for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
            const input = agentInput({ scrapeInterval, metricsPath, appPort, region, jobName: `app-${appPort}`, remoteWriteUrl: remoteWriteUrl(partitionPrometheusEndpoint(region, 'ws-11111111-2222-3333-4444-555555555555')) });
            const file = join(dir, `agent-${files.length}.yml`);
            const yaml = renderAgentConfig(input);
            writeFileSync(file, yaml);
            files.push({ file, input, yaml });
          }
        }
      }
    }
    // The config as the script writes it, with a task id in place of the placeholder, too.
    const substituted = join(dir, 'substituted.yml');
    writeFileSync(substituted, files[0].yaml.replaceAll(TASK_ID_PLACEHOLDER, '0123456789abcdef0123456789abcdef'));

    const { stdout, stderr } = await exec('promtool', ['check', 'config', '--agent', ...files.map((f) => f.file), substituted]);
    const report = stdout + stderr;
    for (const { file } of files) expect(report).toContain(`Checking ${file}`);
    expect(report.match(/SUCCESS/g)?.length).toBe(files.length + 1);
    expect(report).not.toMatch(/FAILED/);

    // What promtool accepted is what was asked for.
    for (const { input, yaml } of files) {
      const cfg = parse(yaml);
      expect(cfg.global.scrape_interval).toBe(input.scrapeInterval);
      expect(cfg.scrape_configs[0].metrics_path).toBe(input.metricsPath);
      expect(cfg.scrape_configs[0].static_configs[0].targets).toEqual([`localhost:${input.appPort}`]);
      expect(cfg.remote_write[0].sigv4.region).toBe(input.region);
    }
  });

  it('promtool is a real check: a timeout above the interval is refused', async () => {
    const dir = tracker.tempDir('promtool-bad');
    const file = join(dir, 'bad.yml');
    const good = renderAgentConfig(agentInput({ scrapeInterval: '5s' }));
    writeFileSync(file, good.replace('scrape_timeout: 5s', 'scrape_timeout: 30s'));
    const err = await exec('promtool', ['check', 'config', '--agent', file]).then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(err?.code).not.toBe(0);
    expect(`${err?.stdout}${err?.stderr}`).toMatch(/scrape timeout greater than scrape interval/);
  });
});

for (const shell of SHELLS) {
  describe.skipIf(skipShell(shell))(underShell(shell, 'the start script picks the agent flag from the Prometheus version'), () => {
    // A fake Prometheus: prints a version (or the real binary's) and records the argv it is exec'd with.
    let fakeDir: string;
    let fakeBin: string;
    beforeAll(() => {
      requireShell(shell);
      fakeDir = tracker.tempDir('fake-prom');
      fakeBin = join(fakeDir, 'prometheus');
      writeFileSync(fakeBin, [
        '#!/bin/sh',
        'if [ "$1" = "--version" ]; then',
        '  if [ -n "${FAKE_PROM_REAL:-}" ]; then exec prometheus --version; fi',
        '  printf "%s\\n" "$FAKE_PROM_VERSION"; exit 0',
        'fi',
        'printf "%s\\n" "$@" > "$FAKE_PROM_ARGV"',
        '',
      ].join('\n'));
      chmodSync(fakeBin, 0o755);
    });

    async function startWith(version: { text?: string; real?: boolean }) {
      const dir = tracker.tempDir('flag');
      const metadata = await metadataEndpoint();
      const argvFile = join(dir, 'argv');
      const yaml = renderAgentConfig(agentInput());
      const proc = runStartScript('start-script', dir, {
        PROMETHEUS_BIN: fakeBin,
        FAKE_PROM_VERSION: version.text,
        FAKE_PROM_REAL: version.real ? '1' : undefined,
        FAKE_PROM_ARGV: argvFile,
        PROM_AGENT_CONFIG: yaml,
        ECS_CONTAINER_METADATA_URI_V4: metadata.uri,
        PROM_LISTEN_ADDRESS: '127.0.0.1:19999',
      }, shell);
      const { code } = await proc.exited;
      expect(code, proc.output()).toBe(0);
      const argv = readFileSync(argvFile, 'utf8').trimEnd().split('\n');
      return { argv, log: proc.output(), dir, metadata, yaml };
    }

    const cases: Array<[string, string, string]> = [
      ['3.14.0', 'prometheus, version 3.14.0 (branch: HEAD, revision: 4f5e3a1b2c3d)\n  build user:       root@buildkitsandbox\n  go version:       go1.25.4', '--agent'],
      ['3.0.0-rc.0', 'prometheus, version 3.0.0-rc.0 (branch: HEAD, revision: 0123abcd)', '--agent'],
      ['2.42.0', 'prometheus, version 2.42.0 (branch: HEAD, revision: 225c61122d88b01d1f0eaaee0e05b6f3e0567ac0)', '--enable-feature=agent'],
      ['2.53.4', 'prometheus, version 2.53.4 (branch: HEAD, revision: 1b4f4f9a)', '--enable-feature=agent'],
    ];
    for (const [name, text, flag] of cases) {
      it(`Prometheus ${name} gets ${flag}`, async () => {
        const { argv, log, dir, metadata } = await startWith({ text });
        expect(argv).toEqual([
          flag,
          `--config.file=${join(dir, 'etc/agent.yml')}`,
          `--storage.agent.path=${join(dir, 'wal')}`,
          '--web.listen-address=127.0.0.1:19999',
        ]);
        expect(log).toContain(`fargate-prom-agent: task ${metadata.taskId}: starting Prometheus ${name.split('.')[0]}.x in agent mode (${flag})`);
      });
    }

    it('the installed Prometheus 2.42 reads as 2.x and gets --enable-feature=agent; the config carries the task id', async () => {
      const real = await exec('prometheus', ['--version']);
      expect(real.stdout + real.stderr).toMatch(/^prometheus, version 2\.42\./m);
      const { argv, log, dir, metadata, yaml } = await startWith({ real: true });
      expect(argv[0]).toBe('--enable-feature=agent');
      expect(log).toContain('starting Prometheus 2.x in agent mode (--enable-feature=agent)');
      const written = readFileSync(join(dir, 'etc/agent.yml'), 'utf8');
      expect(written).not.toContain(TASK_ID_PLACEHOLDER);
      expect(written).toBe(`${yaml.replaceAll(TASK_ID_PLACEHOLDER, metadata.taskId)}\n`);
      expect(parse(written).scrape_configs[0].relabel_configs[0].replacement).toBe(metadata.taskId);
    });

    it('an unreadable version is said in the log and taken as 2.x', async () => {
      const { argv, log } = await startWith({ text: 'Usage: something else entirely' });
      expect(argv[0]).toBe('--enable-feature=agent');
      expect(log).toContain('fargate-prom-agent: could not read the Prometheus version; assuming 2.x');
    });
  });

  describe.skipIf(skipShell(shell))(underShell(shell, 'the start script and the task metadata endpoint'), () => {
    beforeAll(() => requireShell(shell));

    afterEach(async () => {
      await tracker.stopAll();
    });

    /** The script with the real Prometheus; resolves once Prometheus answers /-/ready. */
    async function startReal(metadataUri: string, wait = '20') {
      const dir = tracker.tempDir('metadata');
      const listen = `127.0.0.1:${await freePort()}`;
      const proc = runStartScript('agent', dir, {
        PROMETHEUS_BIN: 'prometheus',
        PROM_AGENT_CONFIG: renderAgentConfig(agentInput({ appPort: await freePort(), remoteWriteUrl: `http://127.0.0.1:${await freePort()}/workspaces/ws-x/api/v1/remote_write` })),
        ECS_CONTAINER_METADATA_URI_V4: metadataUri,
        PROM_LISTEN_ADDRESS: listen,
        METADATA_WAIT_SECONDS: wait,
        // The sigv4 block needs credentials to load; remote write itself goes nowhere here.
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      }, shell);
      return { proc, dir, listen };
    }

    async function ready(listen: string, proc: Proc) {
      const exited = proc.exited.then(({ code }) => {
        throw new Error(`the agent exited (${code}) before it was ready:\n${proc.output()}`);
      });
      await Promise.race([
        exited,
        eventually(async () => (await fetch(`http://${listen}/-/ready`)).ok, 15_000, 'the agent to be ready', 200),
      ]);
      exited.catch(() => undefined);
    }

    it('retries while the endpoint answers 503, then starts Prometheus with the task id', async () => {
      const metadata = await metadataEndpoint({ notReadyFor: 3 });
      const { proc, dir, listen } = await startReal(metadata.uri);
      await ready(listen, proc);
      expect(metadata.requests()).toBe(4);
      expect(proc.output()).toContain(`fargate-prom-agent: task ${metadata.taskId}: starting Prometheus 2.x in agent mode`);
      expect(readFileSync(join(dir, 'etc/agent.yml'), 'utf8')).toContain(`replacement: ${metadata.taskId}`);
    });

    it('retries while the endpoint refuses connections, then starts', async () => {
      const port = await freePort();
      const { proc, listen } = await startReal(`http://127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 2000)); // the script is retrying against a closed port
      expect(proc.child.exitCode).toBeNull();
      const metadata = await metadataEndpoint({ port });
      await ready(listen, proc);
      expect(metadata.requests()).toBe(1);
      expect(proc.output()).toContain(`task ${metadata.taskId}: starting Prometheus`);
    });

    it('never ready (503, refused, or hanging): gives up after METADATA_WAIT_SECONDS with one clear line, and starts nothing', async () => {
      const unavailable = await metadataEndpoint({ notReadyFor: Infinity });
      const hanging = await metadataEndpoint({ notReadyFor: Infinity, hang: true });
      const refused = `http://127.0.0.1:${await freePort()}`;
      const wait = 3;
      const results = await Promise.all([unavailable.uri, refused, hanging.uri].map(async (uri) => {
        const { proc, dir } = await startReal(uri, String(wait));
        const { code } = await proc.exited;
        return { uri, code, log: proc.output(), dir };
      }));
      for (const r of results) {
        expect(r.code, r.log).toBe(1);
        // Its whole log: the attempts are silent, the end is one line, and Prometheus never started.
        expect(r.log).toBe(`fargate-prom-agent: task metadata endpoint ${r.uri}/task gave no TaskARN within ${wait}s; not starting (series could not carry the task id)\n`);
        expect(existsSync(join(r.dir, 'etc/agent.yml'))).toBe(false);
      }
      // It kept asking while the endpoint answered 503 (each attempt is 1 s apart), and asked the hanging one.
      expect(unavailable.requests()).toBeGreaterThanOrEqual(2);
      expect(hanging.requests()).toBeGreaterThanOrEqual(1);
    });

    it('missing environment: a clear line and no Prometheus', async () => {
      const dir = tracker.tempDir('noenv');
      const noMetadata = runStartScript('no-metadata', dir, { PROMETHEUS_BIN: 'prometheus', PROM_AGENT_CONFIG: renderAgentConfig(agentInput()) }, shell);
      const metadata = await metadataEndpoint();
      const noConfig = runStartScript('no-config', dir, { PROMETHEUS_BIN: 'prometheus', ECS_CONTAINER_METADATA_URI_V4: metadata.uri }, shell);
      const [a, b] = await Promise.all([noMetadata.exited, noConfig.exited]);
      expect(a.code).toBe(1);
      expect(noMetadata.output()).toBe('fargate-prom-agent: ECS_CONTAINER_METADATA_URI_V4 is not set: this needs ECS on Fargate platform version 1.4.0 or later\n');
      expect(b.code).toBe(1);
      expect(noConfig.output()).toBe('fargate-prom-agent: PROM_AGENT_CONFIG is empty: no configuration to run\n');
      expect(metadata.requests()).toBe(0);
    });
  });
}

/** Metric names a PromQL expression reads (identifiers followed by a selector `{`). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]);
}

/** Grafana's template variables as a query of all instances would have them. */
function withTemplateVars(expr: string): string {
  return expr
    .replace(/\$\{?instance\}?|\[\[instance\]\]/g, '.*')
    .replace(/\$\{?__(rate_)?interval\}?|\$\{?__range\}?/g, '1m');
}

interface Panel { title?: string; targets?: Array<{ expr?: string }>; panels?: Panel[] }
function dashboardQueries(dashboard: { panels: Panel[] } = JSON.parse(readFileSync(DASHBOARD, 'utf8'))): Array<{ title: string; expr: string }> {
  const out: Array<{ title: string; expr: string }> = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ title: p.title ?? '', expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return out;
}

describe('end to end: sample app → agent (start script, Prometheus 2.42) → SigV4 remote write → AMP data plane', () => {
  const WORKSPACE = 'ws-e2e00000-1111-2222-3333-444444444444';
  const JOB = 'shop';
  let dataPlane: AmpDataPlane;
  let app: Proc;
  let appPort: number;
  let capture: Server;
  let probe: { authorization?: string; path?: string };
  let agentSigns = false;
  const proxies: SigningProxy[] = [];
  let good: { proc: Proc; metadata: TaskMetadataEndpoint };
  let wrongUrl: { proc: Proc; metadata: TaskMetadataEndpoint };
  let wrongKey: { proc: Proc; metadata: TaskMetadataEndpoint };

  async function startAgent(name: string, url: string, secretAccessKey: string) {
    const metadata = await metadataEndpoint();
    const dir = tracker.tempDir(name);
    const proc = runStartScript(name, dir, {
      PROMETHEUS_BIN: 'prometheus',
      PROM_AGENT_CONFIG: renderAgentConfig({ jobName: JOB, appPort, metricsPath: '/metrics', scrapeInterval: '1s', remoteWriteUrl: url, region: REGION }),
      ECS_CONTAINER_METADATA_URI_V4: metadata.uri,
      PROM_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
      // The default credential chain, as the task role would provide it.
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    return { proc, metadata };
  }

  beforeAll(async () => {
    dataPlane = await startAmpDataPlane({ region: REGION, credentials: CREDENTIALS });
    appPort = await freePort();
    app = tracker.spawn('metrics-app', process.execPath, [APP], { PATH: process.env.PATH, PORT: String(appPort), HOST: '127.0.0.1' }, ROOT);
    await app.waitForOutput(/listening/, 10_000);

    // Does the installed Prometheus sign its remote writes? A loopback receiver records what the agent sends.
    probe = {};
    capture = createServer((req, res) => {
      probe.authorization ??= req.headers.authorization ?? '';
      probe.path ??= req.url;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
    const captureUrl = `http://127.0.0.1:${(capture.address() as { port: number }).port}/workspaces/${WORKSPACE}/api/v1/remote_write`;
    let prober: { proc: Proc };
    [prober, wrongUrl] = await Promise.all([
      startAgent('agent-probe', captureUrl, CREDENTIALS.secretAccessKey),
      // A URL AMP does not serve: the workspace path without /api/v1.
      startAgent('agent-wrong-url', `${dataPlane.url}/workspaces/${WORKSPACE}/remote_write`, CREDENTIALS.secretAccessKey),
    ]);
    await eventually(async () => probe.authorization !== undefined, 20_000, 'the probe agent\'s first remote write', 200);
    await tracker.stop(prober.proc);
    agentSigns = /^AWS4-HMAC-SHA256 /.test(probe.authorization ?? '');
    // Debian's prometheus 2.42 accepts the sigv4 block and resolves credentials, yet sends no
    // Authorization header; the upstream image `up` deploys signs. Without signing, the agent goes
    // through a signing proxy (as the sandbox does) holding the credentials the agent was given, so the
    // data plane still checks a signature made with the agent's keys, region and service.
    const via = async (secretAccessKey: string) => {
      if (agentSigns) return dataPlane.remoteWriteUrl(WORKSPACE);
      const proxy = await startSigningProxy({ target: dataPlane.url, region: REGION, credentials: { ...CREDENTIALS, secretAccessKey } });
      proxies.push(proxy);
      return `${proxy.url}/workspaces/${WORKSPACE}/api/v1/remote_write`;
    };
    if (!agentSigns) console.warn(`pipeline.test: the installed prometheus does not SigV4-sign remote writes (Authorization: ${JSON.stringify(probe.authorization)}); its agents write through a signing proxy`);
    [good, wrongKey] = await Promise.all([
      startAgent('agent-good', await via(CREDENTIALS.secretAccessKey), CREDENTIALS.secretAccessKey),
      startAgent('agent-wrong-key', await via('not-the-secret-key'), 'not-the-secret-key'),
    ]);
    // Some traffic, so the CPU and heap graphs have something to show.
    for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${appPort}/`).then((r) => r.text());
  }, 60_000);

  afterAll(async () => {
    await tracker.stopAll();
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
    capture?.closeAllConnections();
    await new Promise((r) => (capture ? capture.close(r) : r(undefined)));
    await dataPlane?.stop();
  });

  it('the sample app serves default metrics at /metrics, work at / and 404 elsewhere', async () => {
    const metrics = await fetch(`http://127.0.0.1:${appPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^nodejs_version_info\{/m);
    const work = await fetch(`http://127.0.0.1:${appPort}/`);
    expect(work.status).toBe(200);
    expect(await work.json()).toMatchObject({ ok: true });
    expect((await fetch(`http://127.0.0.1:${appPort}/nope`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${appPort}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('the installed agent signs its remote writes (service aps, the configured region, the task credentials) — unless it is Debian 12\'s 2.42', () => {
    expect(probe.path).toBe(`/workspaces/${WORKSPACE}/api/v1/remote_write`);
    const version = execFileSync('prometheus', ['--version'], { encoding: 'utf8' });
    if (/version 2\.42\.0\+ds/.test(version)) {
      // Debian 12's build drops the sigv4 transport (patch 91-Disable_opentelemetry): nothing signed,
      // hence the signing proxy here; test/agent-signing.test.ts proves signing with Debian 13's 2.53.3.
      expect(probe.authorization).toBe('');
      return;
    }
    expect(probe.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/\\d{8}/${REGION}/aps/aws4_request, ?SignedHeaders=[^,]*host[^,]*, ?Signature=[0-9a-f]{64}$`));
  });

  it('series arrive labelled with the task id as instance and the job name', async () => {
    const series = await eventually(async () => {
      const r = await promQuery(dataPlane.prometheusUrl, `nodejs_version_info{instance="${good.metadata.taskId}"}`);
      return r.length > 0 ? r : undefined;
    }, 30_000, 'nodejs_version_info from the agent', 250);
    expect(series[0].metric).toMatchObject({ instance: good.metadata.taskId, job: JOB });
    expect(good.proc.output()).toContain(`task ${good.metadata.taskId}: starting Prometheus 2.x in agent mode (--enable-feature=agent)`);
    // Only the task id, never the placeholder or host:port, as instance.
    const instances = await (await fetch(`${dataPlane.prometheusUrl}/api/v1/label/instance/values`)).json() as { data: string[] };
    expect(instances.data).toEqual([good.metadata.taskId]);
    // Grafana's $instance variable: label_values(nodejs_version_info, instance).
    const variable = await (await fetch(`${dataPlane.prometheusUrl}/api/v1/label/instance/values?match[]=nodejs_version_info`)).json() as { data: string[] };
    expect(variable.data).toEqual([good.metadata.taskId]);
  });

  it('every metric dashboard 11159 queries is present', async () => {
    const names = [...new Set(dashboardQueries().flatMap((q) => metricNames(q.expr)))];
    expect(names.length).toBeGreaterThanOrEqual(10);
    const missing = await withoutData(dataPlane.prometheusUrl, 'every dashboard metric',
      names.map((name) => ({ label: name, promql: `count(${name}{instance="${good.metadata.taskId}",job="${JOB}"})` })));
    expect(missing).toEqual([]);
  });

  it('every panel query of dashboard 11159, with $instance as .*, returns data', async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const empty = await withoutData(dataPlane.prometheusUrl, 'data for every panel query', panelQueries(queries));
    expect(empty).toEqual([]);
  });

  it('every panel query of the dashboard as Grafana stores it after up\'s import (11159 with ${DS_PROMETHEUS} substituted, and the shipped fallback) returns data', async () => {
    // The import through the real provisioning code into the Grafana stand-in, read back over its API.
    const grafana = await startGrafanaStandin({ password: 'pipeline-admin' });
    try {
      const client = new GrafanaClient({ baseUrl: grafana.url, password: 'pipeline-admin' });
      for (const [stack, gnet, source] of [['shop', 'serve', 'grafana.com'], ['fallback', 'offline', 'shipped']] as const) {
        grafana.setGnet(gnet);
        const provisioned = await provisionGrafana({ client, stack, region: REGION, workspace: { workspaceId: WORKSPACE, prometheusEndpoint: partitionPrometheusEndpoint(REGION, WORKSPACE) }, reporter: silentReporter });
        expect(provisioned.dashboard).toMatchObject({ source, action: 'import' });
        const stored = (await client.get(`/api/dashboards/uid/${provisioned.dashboard.uid}`)).body.dashboard as { panels: Panel[] };
        expect(JSON.stringify(stored)).not.toMatch(/\$\{DS_[A-Z_]+\}/);
        const queries = dashboardQueries(stored);
        expect(queries.length).toBeGreaterThanOrEqual(8);
        const empty = await withoutData(dataPlane.prometheusUrl, 'data for every panel query', panelQueries(queries));
        expect(empty, source).toEqual([]);
      }
      expect(grafana.violations).toEqual([]);
    } finally {
      await grafana.stop();
    }
  });

  it('a wrong remote-write URL shows in the agent log (404)', async () => {
    await wrongUrl.proc.waitForOutput(/server returned HTTP status 404/, 30_000);
    expect(wrongUrl.proc.output()).toMatch(new RegExp(`^(?=.*level=error)(?=.*component=remote)(?=.*url=${escapeRegExp(dataPlane.url)}/workspaces/${WORKSPACE}/remote_write )(?=.*404 Not Found).*$`, 'm'));
  });

  it('a rejected signature shows in the agent log (403) and in the data plane rejection counter', async () => {
    await wrongKey.proc.waitForOutput(/server returned HTTP status 403 Forbidden/, 30_000);
    expect(wrongKey.proc.output()).toMatch(/^(?=.*level=error)(?=.*component=remote)(?=.*403 Forbidden).*$/m);
    const rejections = dataPlane.rejections();
    expect(rejections.count).toBeGreaterThan(0);
    const why = /signature we calculated does not match/;
    expect(rejections.last).toMatch(why);
    expect(wrongKey.proc.output()).toMatch(why);
    // The rejected agent's series never arrive.
    expect(await promQuery(dataPlane.prometheusUrl, `count({instance="${wrongKey.metadata.taskId}"})`)).toEqual([]);
  });
});

/**
 * Polls until every query returns data, within 30 s. [] once they all do; otherwise one message naming
 * the queries still empty at the last poll, so `expect(…).toEqual([])` shows them.
 */
async function withoutData(prometheusUrl: string, what: string, queries: { label: string; promql: string }[]): Promise<string[]> {
  return eventually(async () => {
    const empty: string[] = [];
    for (const { label, promql } of queries) {
      if ((await promQuery(prometheusUrl, promql)).length === 0) empty.push(label);
    }
    if (empty.length > 0) throw new Error(`no data yet for ${empty.length} of ${queries.length}: ${empty.join('; ')}`);
    return [] as string[];
  }, 30_000, what, 250).catch((err: Error) => [err.message]);
}

/** A dashboard's panel queries as Grafana runs them with $instance as .*, labelled `title: expr`. */
const panelQueries = (queries: { title: string; expr: string }[]) =>
  queries.map(({ title, expr }) => ({ label: `${title}: ${expr}`, promql: withTemplateVars(expr) }));

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
