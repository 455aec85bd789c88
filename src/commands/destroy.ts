import { parseConnectionOptions, type RawOptions } from '../config/options.js';
import { CliError, ExitCode, InputError } from '../errors.js';
import { ApplyError, destroy, observeAll } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import { stackResources } from '../stack/resources.js';
import { observeDnsRecord } from '../stack/dns.js';
import { makeSpec } from '../stack/spec.js';
import { findLeftovers } from '../stack/sweep.js';
import { isInteractive } from '../ui/index.js';
import { renderApplyFailure, renderResourceTable } from '../ui/render.js';
import { openSession, printJson } from './session.js';

export async function destroyCommand(raw: RawOptions): Promise<number> {
  const conn = parseConnectionOptions(raw);
  const yes = raw.yes === true;
  if (!yes && (conn.json || !isInteractive())) {
    throw new InputError('--yes: destroy asks you to type the stack name, which needs a terminal; pass --yes to delete without asking');
  }
  const session = await openSession(conn);
  const { reporter } = session;
  try {
    const spec = makeSpec(conn.name, session.region);
    const stack = stackResources(spec);
    const resources = stack.all;
    const ctx = session.context(spec);
    reporter.phase(`Finding the resources of stack ${spec.name} in ${spec.region}`);
    const observed = await observeAll(resources, ctx);
    // The domain's alias record, found through what was observed (Grafana's root URL).
    await observeDnsRecord(ctx, stack, observed);
    const owned = resources.filter((r) => observed.get(r)?.owned);
    if (owned.length === 0) {
      reporter.stop();
      const none = resources.map((r) => ({ kind: r.kind, name: r.name, action: observed.get(r) ? 'skipped' : 'absent' }));
      if (conn.json) printJson({ stack: spec.name, region: spec.region, resources: none, leftovers: [] });
      else process.stdout.write(`Nothing to delete: no resource of stack ${spec.name} in ${spec.region} carries its tag.\n`);
      return ExitCode.ok;
    }
    if (!yes) {
      reporter.stop();
      process.stderr.write(`This deletes ${owned.length} resources of stack ${spec.name} in ${spec.region}:\n\n` +
        `${renderResourceTable(owned.map((r) => ({ kind: r.kind, name: r.name, id: observed.get(r)!.id })), 'action')}\n\n`);
      const { default: inquirer } = await import('inquirer');
      const { typed } = await inquirer.prompt<{ typed: string }>([{ type: 'input', name: 'typed', message: `Type the stack name (${spec.name}) to delete it:` }]);
      if (typed.trim() !== spec.name) throw new CliError('cancelled: the name did not match; nothing was deleted');
    }
    reporter.phase(`Deleting ${owned.length} resources`);
    let reports: ResourceReport[];
    try {
      reports = await destroy(resources, observed, ctx);
    } catch (err) {
      if (err instanceof ApplyError) {
        reporter.stop();
        process.stderr.write(renderApplyFailure('destroy', err));
        if (conn.json) printJson({ stack: spec.name, region: spec.region, error: err.message, resources: err.completed });
      }
      throw err;
    }
    reporter.phase('Sweeping for anything tagged with the stack that is still there');
    const leftovers = await findLeftovers(session.context(spec));
    reporter.stop();
    const summary = session.aws.stats.summary();
    if (raw.quietResult === true) {
      // The sandbox runs destroy in-process and prints only its own result.
    } else if (conn.json) {
      printJson({ stack: spec.name, region: spec.region, resources: reports, leftovers, aws: { calls: summary.calls, mutatingCalls: summary.mutatingCalls, retries: summary.retries } });
    } else {
      process.stdout.write(`\nStack ${spec.name} in ${spec.region}: deleted ${reports.filter((r) => r.action === 'delete').length} resources.\n`);
      if (leftovers.length === 0) process.stdout.write('Sweep: nothing tagged with the stack is left.\n');
    }
    if (leftovers.length > 0) {
      throw new CliError(`still there after destroy (tagged fargate-prom:stack=${spec.name}): ${leftovers.map((l) => `${l.kind} ${l.name} (${l.id})`).join(', ')}; run destroy again in a few minutes`);
    }
    return ExitCode.ok;
  } finally {
    session.close();
  }
}
