import type { Reporter, ResourceEvent, ServiceRow } from './reporter.js';
import { pastTense, serviceLine } from './format.js';

// On a log (CI), a repeated wait line is useful every so often, not every poll.
const REPEAT_WAIT_MS = 15_000;

/** Plain lines for logs and pipes: one line per event, waits only when they change or every 15 s. */
export class PlainReporter implements Reporter {
  private readonly start = Date.now();
  private readonly lastWait = new Map<string, { text: string; at: number }>();
  private readonly lastRow = new Map<string, string>();

  constructor(private readonly out: NodeJS.WritableStream = process.stderr) {}

  phase(text: string) { this.line(text); }
  info(text: string) { this.line(text); }
  warn(text: string) { this.line(`warning: ${text}`); }

  resource(e: ResourceEvent) {
    if (e.phase === 'start') {
      if (e.action === 'update' && e.differences?.length) this.line(`updating ${e.kind} ${e.name}: ${e.differences.join('; ')}`);
      return;
    }
    if (e.action === 'unchanged') return;
    this.line(`${pastTense(e.action)} ${e.kind} ${e.name}${e.id && e.id !== e.name ? ` (${e.id})` : ''}`);
  }

  waiting(key: string, text: string) {
    const last = this.lastWait.get(key);
    const now = Date.now();
    if (last && last.text === text && now - last.at < REPEAT_WAIT_MS) return;
    this.lastWait.set(key, { text, at: now });
    this.line(`waiting: ${text}`);
  }

  service(row: ServiceRow) {
    const text = serviceLine(row);
    if (this.lastRow.get(row.service) === text) return;
    this.lastRow.set(row.service, text);
    this.line(text);
  }

  block(text: string) { this.out.write(text); }

  stop() {}

  private line(text: string) {
    const s = ((Date.now() - this.start) / 1000).toFixed(1).padStart(6);
    this.out.write(`[${s}s] ${text}\n`);
  }
}
