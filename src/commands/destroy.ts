import type { DestroyOptions } from '../config/options.js';
import { CliError, InputError } from '../errors.js';
import { ApplyError, destroy, observeAll } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import { stackResources } from '../stack/resources.js';
import { observeDnsRecord } from '../stack/dns.js';
import { makeSpec } from '../stack/spec.js';
import { findLeftovers } from '../stack/sweep.js';
import type { CommandIo } from '../ui/io.js';
import { renderResourceTable } from '../ui/render.js';
import { withTimeScale } from '../util/time.js';
import { awsSummary, type AwsSummary } from './result.js';
import { openSession } from './session.js';

type Stack = { stack: string; region: string };
export type Leftover = Awaited<ReturnType<typeof findLeftovers>>[number];

/** What `destroy` did; `error`, when set, is reported after the result is shown. */
export type DestroyResult =
  | { outcome: 'nothing'; report: Stack & { resources: { kind: string; name: string; action: string }[]; leftovers: [] }; error?: undefined }
  /** `error` names what the sweep still found. */
  | { outcome: 'deleted'; report: Stack & { resources: ResourceReport[]; leftovers: Leftover[]; aws: AwsSummary }; error?: CliError }
  | { outcome: 'failed'; report: Stack & { error: string; resources: ResourceReport[] }; error: ApplyError };

/** Delete what carries the stack's tag; without `yes`, the stack name is asked for through `io`. */
export function runDestroy(opts: DestroyOptions, io: CommandIo): Promise<DestroyResult> {
  return withTimeScale(io.timeScale, () => destroyStack(opts, io));
}

async function destroyStack(conn: DestroyOptions, io: CommandIo): Promise<DestroyResult> {
  if (!conn.yes && (conn.json || !io.interactive)) {
    throw new InputError('--yes: destroy asks you to type the stack name, which needs a terminal; pass --yes to delete without asking');
  }
  const session = await openSession(conn, io);
  const { reporter } = session;
  try {
    const spec = makeSpec(conn.name, session.region);
    const header = { stack: spec.name, region: spec.region };
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
      return { outcome: 'nothing', report: { ...header, resources: none, leftovers: [] } };
    }
    if (!conn.yes) {
      reporter.stop();
      io.stderr.write(`This deletes ${owned.length} resources of stack ${spec.name} in ${spec.region}:\n\n` +
        `${renderResourceTable(owned.map((r) => ({ kind: r.kind, name: r.name, id: observed.get(r)!.id })), 'action')}\n\n`);
      const typed = await io.ask({ message: `Type the stack name (${spec.name}) to delete it:` });
      if (typed.trim() !== spec.name) throw new CliError('cancelled: the name did not match; nothing was deleted');
    }
    reporter.phase(`Deleting ${owned.length} resources`);
    let reports: ResourceReport[];
    try {
      reports = await destroy(resources, observed, ctx);
    } catch (err) {
      if (!(err instanceof ApplyError)) throw err;
      reporter.stop();
      return { outcome: 'failed', report: { ...header, error: err.message, resources: err.completed }, error: err };
    }
    reporter.phase('Sweeping for anything tagged with the stack that is still there');
    const leftovers = await findLeftovers(session.context(spec));
    reporter.stop();
    const error = leftovers.length > 0
      ? new CliError(`still there after destroy (tagged fargate-prom:stack=${spec.name}): ${leftovers.map((l) => `${l.kind} ${l.name} (${l.id})`).join(', ')}; run destroy again in a few minutes`)
      : undefined;
    return { outcome: 'deleted', report: { ...header, resources: reports, leftovers, aws: awsSummary(session.aws) }, error };
  } finally {
    session.close();
  }
}
