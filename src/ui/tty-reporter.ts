import ora, { type Ora } from 'ora';
import type { Reporter, ResourceEvent, ServiceRow } from './reporter.js';
import { pastTense, serviceTable } from './format.js';

/** A spinner listing what is in progress, a live ECS table while services roll out, and a line per finished resource. */
export class TtyReporter implements Reporter {
  private readonly spinner: Ora;
  private readonly active = new Map<string, string>();
  private readonly rows = new Map<string, ServiceRow>();
  private phaseText = '';

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.spinner = ora({ stream, discardStdin: false }).start();
  }

  phase(text: string) {
    this.phaseText = text;
    this.render();
  }

  resource(e: ResourceEvent) {
    const key = `${e.kind}:${e.name}`;
    if (e.phase === 'start') {
      this.active.set(key, `${e.action === 'delete' ? 'deleting' : e.action === 'create' ? 'creating' : 'updating'} ${e.kind} ${e.name}`);
    } else {
      this.active.delete(key);
      this.clearWaits(e.kind, e.name);
      if (e.action !== 'unchanged') this.persist('✔', `${pastTense(e.action)} ${e.kind} ${e.name}${e.id && e.id !== e.name ? ` (${e.id})` : ''}`);
    }
    this.render();
  }

  waiting(key: string, text: string) {
    this.active.set(`wait:${key}`, text);
    this.render();
  }

  service(row: ServiceRow) {
    this.rows.set(row.service, row);
    this.render();
  }

  live(text: string) {
    this.active.set('live', text);
    this.render();
  }

  info(text: string) { this.persist('ℹ', text); }
  warn(text: string) { this.persist('⚠', text); }

  block(text: string) {
    this.spinner.clear();
    this.stream.write(text);
    this.spinner.render();
  }

  stop() {
    this.spinner.stop();
  }

  private clearWaits(_kind: string, name: string) {
    for (const [k, v] of this.active) if (k.startsWith('wait:') && v.includes(name)) this.active.delete(k);
  }

  private persist(symbol: string, text: string) {
    this.spinner.stopAndPersist({ symbol, text });
    this.spinner.start();
    this.render();
  }

  private render() {
    const doing = [...this.active.values()];
    const head = doing.length ? doing.slice(0, 3).join(' · ') + (doing.length > 3 ? ` (+${doing.length - 3} more)` : '') : this.phaseText;
    const table = this.rows.size ? `\n${serviceTable([...this.rows.values()])}` : '';
    this.spinner.text = head + table;
  }
}
