import { Command, CommanderError } from 'commander';
import { describeError, hasErrorName } from './aws/errors.js';
import { CliError, ExitCode, InputError } from './errors.js';
import { DEFAULT_GRAFANA_IMAGE, DEFAULT_STACK_NAME } from './config/defaults.js';
import type { RawOptions } from './config/options.js';
import type { CommandIo } from './ui/io.js';

// Only commander is loaded up front: each command imports its code (and the AWS SDK) when it runs,
// so `--help` stays instant.
type Handler = (opts: RawOptions, io: CommandIo) => Promise<number>;

/** --name and the AWS connection flags; `json: false` leaves out --json (for a command whose output is not a report). */
function withConnection(cmd: Command, { json = true }: { json?: boolean } = {}): Command {
  cmd
    .option('--name <stack>', 'stack name: 1–20 of a-z, 0-9 and -, starting with a letter, not ending with -; prefixes every resource', DEFAULT_STACK_NAME)
    .option('--region <region>', 'AWS region (default: AWS_REGION or your profile\'s region)')
    .option('--profile <profile>', 'AWS profile from ~/.aws/config (SSO profiles work)')
    .option('--endpoint-url <url>', 'one endpoint for every AWS call, for local emulators (or AWS_ENDPOINT_URL)');
  return json ? cmd.option('--json', 'print one JSON document on stdout; progress goes to stderr') : cmd;
}

function run(load: () => Promise<Handler>) {
  return async (opts: RawOptions) => {
    const [handler, { processIo }] = await Promise.all([load(), import('./ui/io.js').then(async (ui) => (await ui.prepareTerminal(), ui))]);
    process.exitCode = await handler(opts, processIo());
  };
}

// Each command: flags → typed options (bad input stops here, before any AWS call) → run → show → exit code.
const upHandler: Handler = async (raw, io) => {
  if (raw.sandbox === true) return (await import('./commands/sandbox.js')).sandboxCommand(raw, io);
  if (raw.once === true) throw new InputError('--once: it only applies to the sandbox; add --sandbox or drop --once');
  const [{ parseUpOptions }, { runUp }, { showUp }, { settle }] = await Promise.all([import('./config/options.js'), import('./commands/up.js'), import('./ui/results.js'), import('./commands/result.js')]);
  const opts = parseUpOptions(raw);
  const result = await runUp(opts, io);
  showUp(result, opts.json, io);
  return settle(result);
};

const statusHandler: Handler = async (raw, io) => {
  const [{ parseStatusOptions }, { runStatus, statusExitCode }, { showStatus }, { settle }] = await Promise.all([import('./config/options.js'), import('./commands/status.js'), import('./ui/results.js'), import('./commands/result.js')]);
  const opts = parseStatusOptions(raw);
  const result = await runStatus(opts, io);
  showStatus(result, opts.json, io);
  return settle(result, statusExitCode(result));
};

const destroyHandler: Handler = async (raw, io) => {
  const [{ parseDestroyOptions }, { runDestroy }, { showDestroy }, { settle }] = await Promise.all([import('./config/options.js'), import('./commands/destroy.js'), import('./ui/results.js'), import('./commands/result.js')]);
  const opts = parseDestroyOptions(raw);
  const result = await runDestroy(opts, io);
  showDestroy(result, opts.json, io);
  return settle(result);
};

const agentConfigHandler: Handler = async (raw, io) => {
  const [{ parseAgentConfigOptions }, { runAgentConfig }, { showAgentConfig }] = await Promise.all([import('./config/options.js'), import('./commands/agent-config.js'), import('./ui/results.js')]);
  showAgentConfig(await runAgentConfig(parseAgentConfigOptions(raw), io), io);
  return ExitCode.ok;
};

const loadHandler: Handler = async (raw, io) => {
  const [{ parseLoadOptions }, { runLoad, loadExitCode }, { showLoad }] = await Promise.all([import('./config/options.js'), import('./commands/load.js'), import('./ui/results.js')]);
  const opts = parseLoadOptions(raw);
  const result = await runLoad(opts, io);
  showLoad(result, opts.json, io);
  return loadExitCode(result);
};

export function buildProgram(): Command {
  const program = new Command('fargate-prom')
    .description('Prometheus metrics for a Node.js app on ECS Fargate: AMP, an agent sidecar, Grafana and dashboard 11159')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', `
Examples:
  $ fargate-prom up --sandbox --once                                   # try it with no AWS account
  $ fargate-prom up --name shop --app-image ghcr.io/acme/shop:1.4 --region us-east-1
  $ fargate-prom status --name shop --region us-east-1
  $ fargate-prom destroy --name shop --region us-east-1

Run fargate-prom <command> --help for a command's flags.`);

  withConnection(program.command('up').description('create or update the stack; re-running converges and never duplicates'))
    .option('--app-image <uri>', 'container image of your app (required; asked for on a terminal)')
    .option('--app-port <n>', 'port your app listens on', '8080')
    .option('--metrics-path <path>', 'path of the Prometheus metrics', '/metrics')
    .option('--health-path <path>', 'ALB health-check path (default: the metrics path)')
    .option('--public-metrics', 'let the ALB serve the metrics path (by default it answers 404 there; health checks are unaffected)')
    .option('--desired-count <n>', 'number of app tasks', '3')
    .option('--cpu <units>', 'Fargate task CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384', '256')
    .option('--memory <MiB>', 'Fargate task memory, valid for the CPU size (default: 512 with --cpu 256, else the smallest the CPU allows)')
    // No commander default: the sandbox scrapes every 5s unless told otherwise; up's default is 15s.
    .option('--scrape-interval <duration>', 'how often the agent scrapes the app (default: "15s"; 5s in the sandbox)')
    .option('--log-retention <days>', 'CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)', '7')
    .option('--grafana-image <uri>', 'Grafana image', DEFAULT_GRAFANA_IMAGE)
    .option('--grafana-storage <kind>', 'efs: Grafana\'s data on an EFS file system, kept when its task is replaced; ephemeral: in the task, lost with it', 'efs')
    .option('--vpc-id <id>', 'VPC (default: the default VPC)')
    .option('--subnet-ids <ids>', 'comma-separated subnets in two or more AZs (default: the VPC\'s default subnets)')
    .option('--allow-cidr <cidr>', 'who may reach the ALB (default 0.0.0.0/0, with a warning)')
    .option('--certificate-arn <arn>', 'ACM certificate: adds HTTPS on 443 and redirects 80 to it')
    .option('--domain <name>', 'host name for HTTPS (covered by the certificate; default: its name); a Route 53 alias is made when a public zone holds it')
    .option('--grafana-url <url>', 'configure Grafana at this URL instead of through the ALB (local or port-forward)')
    .option('--yes', 'never prompt; fail with exit 2 when something required is missing')
    .option('--dry-run', 'print the plan (create / update / unchanged per resource) and change nothing')
    .option('--no-wait', 'apply changes but do not wait for the services to become healthy')
    .option('--sandbox', 'run the whole job on this machine: local AWS simulation, sample app, real agent, local AMP data plane')
    .option('--once', 'with --sandbox: run up, status and destroy, then exit')
    .addHelpText('after', `
Examples:
  $ fargate-prom up --sandbox --once        # try it with no AWS account
  $ fargate-prom up --app-image 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:1.4 --region us-east-1
  $ fargate-prom up --name shop --app-image ghcr.io/acme/shop:1.4 --desired-count 2 --allow-cidr 203.0.113.0/24
  $ fargate-prom up --name shop --app-image ghcr.io/acme/shop:1.4 --dry-run`)
    .action(run(async () => upHandler));

  withConnection(program.command('status').description('every resource, its health, and whether metrics arrive in AMP'))
    .option('--grafana-url <url>', 'check Grafana at this URL instead of through the ALB')
    .option('--amp-endpoint-url <url>', 'send the ingestion check\'s PromQL here instead of AMP (local use; or FARGATE_PROM_AMP_ENDPOINT)')
    .addHelpText('after', `
Exit codes: 0 healthy, 3 something is unhealthy or missing (including metrics not arriving), 4 no such stack.

Examples:
  $ fargate-prom status --name shop --region us-east-1
  $ fargate-prom status --name shop --json | jq .healthy`)
    .action(run(async () => statusHandler));

  withConnection(program.command('destroy').description('delete everything the stack created, in a safe order, and nothing else'))
    .option('--yes', 'do not ask for the stack name to be typed')
    .addHelpText('after', `
Examples:
  $ fargate-prom destroy --name shop --region us-east-1
  $ fargate-prom destroy --name shop --region us-east-1 --yes --json`)
    .action(run(async () => destroyHandler));

  withConnection(program.command('load').description('send a constant request rate to the stack\'s app (or any URL) and show how the dashboard\'s series moved'))
    .option('--url <url>', 'load this http(s) URL instead of a stack (no AWS call, no charts)')
    .option('--path <path>', 'path to request (default: / on the stack; with --url, the URL as given)')
    .option('--rate <req/s>', 'requests per second, 1–10000', '50')
    .option('--duration <d>', 'how long to send, 1s–1h (e.g. 30s, 5m)', '30s')
    .option('--connections <n>', 'concurrent connections', '10')
    .option('--app-url <url>', 'with a stack: send the load here instead of through its ALB (a port-forward, the sandbox\'s app); the charts still come from AMP')
    .option('--amp-endpoint-url <url>', 'query the charts\' PromQL here instead of AMP (local use; or FARGATE_PROM_AMP_ENDPOINT)')
    .addHelpText('after', `
Requests answered 2xx–3xx are ok; other statuses, timeouts and dropped connections are errors.
Against a stack it then charts, from AMP, request rate, CPU, event-loop lag and heap before → during the run.
Exit codes: 0 done, 1 target unreachable, 2 bad flag, 4 no such stack, 130 stopped by Ctrl-C (still reported).

Examples:
  $ fargate-prom load --name shop --region us-east-1 --rate 100 --duration 1m
  $ fargate-prom load --url http://127.0.0.1:8080/ --rate 20 --duration 10s --json`)
    .action(run(async () => loadHandler));

  // Its output is the config itself, so no --json; with --workspace-id it makes no AWS call.
  withConnection(program.command('agent-config').description('print the agent sidecar\'s Prometheus config or ECS container definition, exactly as up deploys it'), { json: false })
    .option('--format <format>', 'yaml (the Prometheus agent config) or container (the ECS container definition JSON)', 'yaml')
    .option('--workspace-id <id>', 'AMP workspace (default: the workspace of stack --name, looked up in AWS)')
    .option('--app-port <n>', 'port your app listens on', '8080')
    .option('--metrics-path <path>', 'path of the Prometheus metrics', '/metrics')
    .option('--scrape-interval <duration>', 'how often the agent scrapes the app', '15s')
    .addHelpText('after', `
The yaml sets the series' instance label to the placeholder __ECS_TASK_ID__: the start script in the
container definition replaces it with the task id from the ECS task metadata endpoint. To run the yaml
another way, replace it yourself (e.g. sed "s/__ECS_TASK_ID__/$HOSTNAME/").

Examples:
  $ fargate-prom agent-config --region us-east-1 --workspace-id ws-12345678-abcd-1234-abcd-123456789012
  $ fargate-prom agent-config --name shop --format container > agent-container.json`)
    .action(run(async () => agentConfigHandler));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `fargate-prom status | head` closes stdout early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`error: cannot write the output: ${err.message}\n`);
    process.exit(ExitCode.failed);
  });
  // Anything that escapes the command's own handling still gets one line, not a stack trace.
  const escaped = (err: unknown) => {
    process.exitCode = report(err);
    process.exit();
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander printed its message already; help and version are not failures.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help'
      ? ExitCode.ok
      : ExitCode.invalidInput;
  }
  // Ctrl-C at a prompt ends it with ExitPromptError (an AWS call cut off by Ctrl-C is an InterruptedError already).
  if (hasErrorName(err, 'ExitPromptError')) {
    process.stderr.write('error: interrupted\n');
    return ExitCode.interrupted;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  // Not one of ours: say so in one line; the stack trace only with FARGATE_PROM_DEBUG=1.
  process.stderr.write(`error: ${describeError(err)}\n`);
  if (process.env.FARGATE_PROM_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
  return ExitCode.failed;
}
