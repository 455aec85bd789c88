import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { AmpQueryClient } from '../../src/aws/amp-query.js';
import { FIXTURES } from './environment.js';

/**
 * A stand-in for Grafana's HTTP API where the CLI depends on it, on 127.0.0.1 (port 0). It behaves like
 * Grafana 12 does in these respects:
 * - served under a sub path (`/dashboard`, as with serve_from_sub_path); `/api/…` without it is served
 *   too and anything else without it is a 301 to root_url (pkg/web, subpath_redirect);
 * - basic auth on everything but /api/health (401 without it or with a wrong password);
 * - datasources by uid (404 absent, 409 duplicate name or uid, PUT replaces the whole object and refuses
 *   a stale `version`) and by name, datasource health (runs the AMP plugin's checks that do not need AWS:
 *   SigV4 on, default credential chain, region consistent with the workspace URL; for a workspace on a
 *   loopback data plane, also the plugin's signed test query, for real);
 * - a PUT that would change a datasource's uid is refused (400): neither Grafana's docs nor its spec say
 *   that PUT /api/datasources/uid/<uid> renames a uid, so the CLI must not depend on it;
 * - folders, /api/dashboards/import (every `__inputs` entry matched by type and name, `${NAME}`
 *   substitution, __inputs/__requires/__elements stripped, overwrite, folder; without `overwrite` an
 *   existing uid of another version is 412 version-mismatch and a same title in the folder 412
 *   name-exists), dashboards by uid;
 * - /api/gnet/dashboards/<id>: grafana.com's envelope (model under `.json`), a 502 like an offline
 *   Grafana, or no answer at all like a Grafana without internet egress still dialling grafana.com.
 * Every request body is validated against the route's schema in the Grafana OpenAPI spec (objects closed
 * to unknown properties, since Grafana silently ignores them); violations are recorded.
 *
 * Storage: without `dataDir` everything lives in memory, like Grafana on a task's writable layer (a new
 * stand-in is a new, empty Grafana). With `dataDir` (Grafana's data directory, /var/lib/grafana, where it
 * keeps its SQLite database grafana.db) the stand-in keeps there what Grafana keeps in that database and
 * it models: the admin user's password (salted PBKDF2 hash, as Grafana stores it), datasources, folders,
 * dashboards and the id sequence, in one file (DB_FILE), loaded at start and rewritten after every change.
 * On an empty directory it starts as Grafana does the first time: it creates the admin user from
 * `password` (GF_SECURITY_ADMIN_PASSWORD). On a directory that already holds a database, the stored
 * password wins and `password` is ignored: admin_password is "Set once on first-run"
 * (https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#admin_password; upstream
 * conf/defaults.ini: "default admin password, can be changed before first start of grafana, or in profile
 * settings"). Server settings (version, gnet, health modes, failures) are not in the database.
 */

const SUB_PATH = '/dashboard';

export type FailureMode = { kind: 'status'; status: number; message?: string } | { kind: 'hang' } | { kind: 'close' };

/** How /api/gnet/dashboards/<id> answers: served, 502 (offline), or never (no egress: the request hangs). */
export type GnetMode = 'serve' | 'offline' | 'hang';

export interface StandinRequest {
  method: string;
  /** The API path without the sub path and query: /api/datasources/uid/x */
  path: string;
  query: string;
  status: number;
  authorized: boolean;
  body?: unknown;
  at: number;
}

/** The stand-in's database file in its data directory (Grafana's is grafana.db, SQLite; this one is JSON). */
export const DB_FILE = 'grafana.db.json';

export interface StandinOptions {
  /**
   * GF_SECURITY_ADMIN_PASSWORD, or how to get it when Grafana starts (as ECS injects it from Secrets
   * Manager). Only used to create the admin user in an empty database (see `dataDir`).
   */
  password: string | (() => Promise<string>);
  /** Grafana's data directory (/var/lib/grafana): the database is kept there across stand-ins. */
  dataDir?: string;
  /** The 127.0.0.1 port to listen on (a replaced Grafana where the old one was); default: a free one. */
  port?: number;
  version?: string;
  gnet?: GnetMode;
  /** How a datasource health check answers: 'plugin' runs the checks; 'error' always fails. */
  datasourceHealth?: 'plugin' | 'error';
  /**
   * What Grafana's default AWS credential chain holds, for a datasource on a loopback data plane (the
   * sandbox's AMP): the health check then signs a real query with them. Default: the sandbox's dummy keys.
   */
  awsCredentials?: AwsKeys | (() => AwsKeys);
}

type AwsKeys = { accessKeyId: string; secretAccessKey: string };

export interface GrafanaStandin {
  /** Grafana's base URL including the sub path: http://127.0.0.1:<port>/dashboard */
  url: string;
  origin: string;
  requests: StandinRequest[];
  violations: string[];
  datasources: Map<string, any>;
  folders: Map<string, any>;
  dashboards: Map<string, { dashboard: any; folderUid: string; version: number; id: number }>;
  /** The admin changes their password in Grafana (profile, PUT /api/user/password): stored like any change. */
  setPassword(p: string): void;
  setGnet(mode: GnetMode): void;
  setDatasourceHealth(mode: 'plugin' | 'error'): void;
  /** Fails matching requests (default: every request but /api/health) until cleared with undefined. */
  setFailure(mode: FailureMode | undefined, match?: (method: string, path: string) => boolean): void;
  /** A replaced Grafana task on ephemeral storage: every datasource, folder and dashboard gone. */
  wipe(): void;
  /**
   * Writes the database now (with `dataDir`). Requests and the methods above write it themselves; a test
   * that edits `datasources`, `folders` or `dashboards` directly calls this to make the edit durable.
   */
  save(): void;
  clearLog(): void;
  /** Mutating requests (POST/PUT/DELETE) the log holds, as "METHOD path". */
  mutations(): string[];
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI validation

interface Route { method: string; template: RegExp; schemaRef?: string; operationId: string }

let cached: { routes: Route[]; validators: Map<string, ValidateFunction> } | undefined;

function loadSpec() {
  if (cached) return cached;
  const spec = JSON.parse(readFileSync(resolve(FIXTURES, 'grafana-openapi.json'), 'utf8'));
  const definitions = structuredClone(spec.definitions) as Record<string, any>;
  // Close every object definition that lists its properties: an unknown field is a CLI bug Grafana would hide.
  for (const def of Object.values(definitions)) {
    if (def && def.type === 'object' && def.properties && def.additionalProperties === undefined) def.additionalProperties = false;
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  ajv.addSchema({ $id: 'grafana', definitions }, 'grafana');
  const routes: Route[] = [];
  for (const [path, item] of Object.entries<any>(spec.paths)) {
    const template = new RegExp(`^${spec.basePath}${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries<any>(item)) {
      if (method === 'parameters') continue;
      const body = (op.parameters ?? []).find((p: any) => p.in === 'body');
      routes.push({ method: method.toUpperCase(), template, schemaRef: body?.schema?.$ref, operationId: op.operationId });
    }
  }
  // Literal paths before templated ones (/api/folders/{uid} must not swallow a literal sibling).
  routes.sort((a, b) => (a.template.source.includes('[^/]+') ? 1 : 0) - (b.template.source.includes('[^/]+') ? 1 : 0));
  const validators = new Map<string, ValidateFunction>();
  for (const r of routes) {
    if (r.schemaRef && !validators.has(r.schemaRef)) validators.set(r.schemaRef, ajv.compile({ $ref: `grafana${r.schemaRef}` }));
  }
  cached = { routes, validators };
  return cached;
}

/** Checks one request against the spec; returns the problems (none when it conforms). */
export function validateAgainstSpec(method: string, path: string, body: unknown, hasBody: boolean): string[] {
  // Not in the spec (PROVENANCE.md): the health middleware and the grafana.com proxy; neither takes a body.
  if (path === '/api/health' || path.startsWith('/api/gnet/')) return hasBody ? [`${method} ${path}: unexpected body`] : [];
  const { routes, validators } = loadSpec();
  const route = routes.find((r) => r.method === method && r.template.test(path));
  if (!route) return [`${method} ${path}: no such route in the Grafana API spec`];
  if (!route.schemaRef) return hasBody ? [`${method} ${path} (${route.operationId}): the spec defines no body, one was sent`] : [];
  if (!hasBody) return [`${method} ${path} (${route.operationId}): no body sent`];
  const validate = validators.get(route.schemaRef)!;
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${method} ${path} (${route.operationId}): ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${(e.params as any).additionalProperty})` : ''}`);
}

// ---------------------------------------------------------------------------------------------

export function gnetEnvelope(id: number): unknown {
  const model = JSON.parse(readFileSync(resolve(FIXTURES, 'dashboard-11159.json'), 'utf8'));
  // grafana.com's /api/dashboards/<id>: metadata around the model, which is under `.json`.
  return { id, name: model.title, description: model.description, revision: 1, downloads: 1000, datasource: 'Prometheus', json: model };
}

function slugify(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

const UID_RE = /^[A-Za-z0-9_-]{1,40}$/;

const LOCAL_WORKSPACE = /^http:\/\/127\.0\.0\.1:\d+\/workspaces\/ws-[A-Za-z0-9-]+$/;

/**
 * What the AMP plugin's health check would find wrong. For AMP itself: the checks that need no AWS call.
 * For a workspace on a loopback data plane (the sandbox's): those checks, then the plugin's own test, a
 * SigV4-signed query of `1+1`, sent for real.
 */
async function pluginHealthProblem(ds: any, credentials: () => AwsKeys): Promise<string | undefined> {
  if (ds.type !== 'grafana-amazonprometheus-datasource') return `plugin "${ds.type}" is not the AMP datasource`;
  const j = ds.jsonData ?? {};
  const local = LOCAL_WORKSPACE.test(ds.url ?? '');
  const m = /^https:\/\/aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/workspaces\/(ws-[A-Za-z0-9-]+)$/.exec(ds.url ?? '');
  if (!m && !local) return `${ds.url} is not an AMP workspace endpoint`;
  if (j.sigV4Auth !== true) return 'unsigned request: 403 Forbidden from AMP (SigV4 is off)';
  if (j.sigV4AuthType !== 'default') return `auth type ${j.sigV4AuthType} is not allowed (allowed_auth_providers = default,keys,credentials) or needs keys`;
  if (m && j.sigV4Region !== m[1]) return `request signed for ${j.sigV4Region} but the workspace is in ${m[1]}: 403 from AMP`;
  if (!local) return undefined;
  try {
    await new AmpQueryClient(ds.url, j.sigV4Region, async () => credentials(), 5_000).instant('1+1');
    return undefined;
  } catch (err) {
    return `Post "${ds.url}/api/v1/query": ${(err as Error).message}`;
  }
}

/** The admin user's stored password: PBKDF2-SHA256, 10000 rounds, 50 bytes, as Grafana's util.EncodePassword. */
interface StoredPassword { salt: string; hash: string }

function encodePassword(password: string, salt = randomBytes(10).toString('hex')): StoredPassword {
  return { salt, hash: pbkdf2Sync(password, salt, 10_000, 50, 'sha256').toString('hex') };
}

function passwordMatches(stored: StoredPassword, given: string): boolean {
  const a = Buffer.from(encodePassword(given, stored.salt).hash, 'hex');
  const b = Buffer.from(stored.hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the database file holds: what Grafana keeps in grafana.db, as far as the stand-in models it. */
interface Database {
  admin?: StoredPassword;
  nextId: number;
  datasources: any[];
  folders: any[];
  dashboards: { uid: string; dashboard: any; folderUid: string; version: number; id: number }[];
}

export async function startGrafanaStandin(opts: StandinOptions): Promise<GrafanaStandin> {
  loadSpec();
  const dbPath = opts.dataDir === undefined ? undefined : join(opts.dataDir, DB_FILE);
  const stored: Database | undefined = dbPath && existsSync(dbPath) ? JSON.parse(readFileSync(dbPath, 'utf8')) : undefined;
  // The admin user: from the database when it has one, else created from the env password at first start.
  let admin: StoredPassword | undefined = stored?.admin ?? (typeof opts.password === 'string' ? encodePassword(opts.password) : undefined);
  const passwordSource = admin === undefined && typeof opts.password === 'function' ? opts.password : undefined;
  /** Authorization headers already checked against `admin` (PBKDF2 is slow on purpose; the CLI sends one header). */
  let verified = new Map<string, boolean>();
  let gnet = opts.gnet ?? 'serve';
  let health = opts.datasourceHealth ?? 'plugin';
  const keys = opts.awsCredentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const awsCredentials = typeof keys === 'function' ? keys : () => keys;
  let failure: { mode: FailureMode; match: (m: string, p: string) => boolean } | undefined;
  const version = opts.version ?? '12.4.5';
  const requests: StandinRequest[] = [];
  const violations: string[] = [];
  const datasources = new Map<string, any>((stored?.datasources ?? []).map((d) => [d.uid, d]));
  const folders = new Map<string, any>((stored?.folders ?? []).map((f) => [f.uid, f]));
  const dashboards = new Map<string, { dashboard: any; folderUid: string; version: number; id: number }>(
    (stored?.dashboards ?? []).map(({ uid, ...d }) => [uid, d]),
  );
  const sockets = new Set<Socket>();
  let nextId = stored?.nextId ?? 1;
  let origin = '';

  /** Rewrites the database file whole (write, then rename: a reader never sees half a file). */
  const save = () => {
    if (!dbPath) return;
    const db: Database = {
      admin, nextId, datasources: [...datasources.values()], folders: [...folders.values()],
      dashboards: [...dashboards.entries()].map(([uid, d]) => ({ uid, ...d })),
    };
    writeFileSync(`${dbPath}.tmp`, JSON.stringify(db));
    renameSync(`${dbPath}.tmp`, dbPath);
  };
  const setAdminPassword = (p: string) => {
    admin = encodePassword(p);
    verified = new Map();
    save();
  };
  // First start on an empty directory: Grafana creates its database (and the admin user, if it knows the password).
  if (!stored) save();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  /** Answers one authorised API request; returns the status sent, or 0 when it leaves the request unanswered. */
  const handleApi = (method: string, path: string, query: URLSearchParams, body: any, res: ServerResponse): number | Promise<number> => {
    const reply = (status: number, b: unknown) => {
      send(res, status, b);
      return status;
    };
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent); // ['api', ...]

    if (path === '/api/health' && (method === 'GET' || method === 'HEAD')) return reply(200, { database: 'ok', version, commit: 'standin' });

    // Datasources
    if (seg[1] === 'datasources') {
      if (method === 'POST' && seg.length === 2) {
        if (!body?.name || !body?.type || !body?.access) return reply(400, { message: 'bad request data', messageId: 'datasource.badRequest' });
        if (body.uid !== undefined && !UID_RE.test(body.uid)) return reply(400, { message: 'Failed to add datasource: invalid uid' });
        if ([...datasources.values()].some((d) => d.name === body.name)) return reply(409, { message: 'data source with the same name already exists' });
        if (body.uid && datasources.has(body.uid)) return reply(409, { message: 'data source with the same uid already exists' });
        const ds = storeDatasource(body, { id: nextId++, version: 1 });
        return reply(200, { datasource: ds, id: ds.id, name: ds.name, message: 'Datasource added' });
      }
      if (seg[2] === 'name' && seg.length === 4 && method === 'GET') {
        const ds = [...datasources.values()].find((d) => d.name === seg[3]);
        return ds ? reply(200, ds) : reply(404, { message: 'Data source not found' });
      }
      if (seg[2] === 'uid' && seg.length >= 4) {
        const ds = datasources.get(seg[3]);
        if (seg.length === 5 && seg[4] === 'health' && method === 'GET') {
          if (!ds) return reply(404, { message: 'Data source not found' });
          const problem = health === 'error' ? Promise.resolve('Post "https://aps-workspaces…/api/v1/query": 403 Forbidden') : pluginHealthProblem(ds, awsCredentials);
          return problem.then((p) => (p ? reply(400, { status: 'ERROR', message: p }) : reply(200, { status: 'OK', message: 'Successfully queried the Prometheus API.' })));
        }
        if (seg.length !== 4) return reply(404, { message: 'Not found' });
        if (method === 'GET') return ds ? reply(200, ds) : reply(404, { message: 'Data source not found' });
        if (method === 'PUT') {
          if (!ds) return reply(404, { message: 'Data source not found' });
          if (!body?.name || !body?.type || !body?.access) return reply(400, { message: 'bad request data' });
          // A stale `version` (older than the stored one) is refused (grafana.md §1).
          if (body.version !== undefined && body.version < ds.version) return reply(409, { message: 'Datasource has already been updated by someone else. Please reload and try again' });
          if ([...datasources.values()].some((d) => d.name === body.name && d.uid !== ds.uid)) return reply(409, { message: 'data source with the same name already exists' });
          if (body.uid && body.uid !== ds.uid) return reply(400, { message: `stand-in: changing a datasource's uid (${ds.uid} → ${body.uid}) by PUT is not documented Grafana behaviour` });
          // The whole object is replaced: what the body leaves out is gone.
          const updated = storeDatasource({ ...body, uid: ds.uid }, { id: ds.id, version: ds.version + 1 });
          return reply(200, { datasource: updated, id: updated.id, name: updated.name, message: 'Datasource updated' });
        }
        if (method === 'DELETE') {
          if (!ds) return reply(404, { message: 'Data source not found' });
          datasources.delete(ds.uid);
          return reply(200, { message: 'Data source deleted', id: ds.id });
        }
      }
      return reply(404, { message: 'Not found' });
    }

    // Folders
    if (seg[1] === 'folders') {
      if (seg.length === 2 && method === 'GET') return reply(200, [...folders.values()].map((f) => ({ id: f.id, uid: f.uid, title: f.title })));
      if (seg.length === 2 && method === 'POST') {
        if (!body?.title) return reply(400, { message: 'folder title cannot be empty' });
        if (body.uid && !UID_RE.test(body.uid)) return reply(400, { message: 'uid contains illegal characters' });
        if (body.uid && (folders.has(body.uid) || dashboards.has(body.uid))) return reply(409, { message: 'a folder or dashboard with the same uid already exists' });
        if ([...folders.values()].some((f) => f.title === body.title)) return reply(409, { message: 'a folder with the same name already exists' });
        const uid = body.uid || `f${nextId}`;
        const f = { id: nextId++, uid, title: body.title, url: `${SUB_PATH}/dashboards/f/${uid}/${slugify(body.title)}`, version: 1 };
        folders.set(uid, f);
        return reply(200, f);
      }
      if (seg.length === 3 && method === 'GET') {
        const f = folders.get(seg[2]);
        return f ? reply(200, f) : reply(404, { message: 'folder not found', status: 'not-found' });
      }
      return reply(404, { message: 'Not found' });
    }

    // Dashboards
    if (path === '/api/dashboards/import' && method === 'POST') {
      if (!body?.dashboard || typeof body.dashboard !== 'object') return reply(422, { message: 'Dashboard must be set' });
      const inputs: any[] = Array.isArray(body.inputs) ? body.inputs : [];
      const values = new Map<string, string>();
      for (const want of body.dashboard.__inputs ?? []) {
        const got = inputs.find((i) => i.type === want.type && (i.name === want.name || i.name === '*'));
        if (!got) return reply(400, { message: `Dashboard input variable: ${want.name} missing from import command` });
        values.set(want.name, String(got.value ?? ''));
      }
      const substitute = (n: any): any => {
        if (typeof n === 'string') return n.replace(/\$\{(\w+)\}/g, (m, name) => (values.has(name) ? values.get(name)! : m));
        if (Array.isArray(n)) return n.map(substitute);
        if (n && typeof n === 'object') return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, substitute(v)]));
        return n;
      };
      const { __inputs: _i, __requires: _r, __elements: _e, ...rest } = body.dashboard;
      const dash = substitute(rest);
      const folderUid = body.folderUid ?? '';
      if (folderUid && !folders.has(folderUid)) return reply(400, { message: 'folder not found' });
      const uid: string = dash.uid || `d${nextId}`;
      if (!UID_RE.test(uid)) return reply(400, { message: 'uid contains illegal characters' });
      if (folders.has(uid)) return reply(409, { message: 'a folder or dashboard with the same uid already exists' });
      const prev = dashboards.get(uid);
      const sameTitle = [...dashboards.entries()].find(([u, d]) => u !== uid && d.folderUid === folderUid && d.dashboard.title === dash.title);
      // Without overwrite, an existing uid is only saved over from its current version; else 412 (grafana.md §3, spec: preconditionFailedError).
      if (!body.overwrite && prev && dash.version !== prev.version) return reply(412, { message: 'The dashboard has been changed by someone else', status: 'version-mismatch' });
      if (sameTitle && !body.overwrite) return reply(412, { message: 'A dashboard with the same name in the folder already exists', status: 'name-exists' });
      if (sameTitle) dashboards.delete(sameTitle[0]);
      const id = prev?.id ?? nextId++;
      const v = (prev?.version ?? 0) + 1;
      dashboards.set(uid, { dashboard: { ...dash, id, uid, version: v }, folderUid, version: v, id });
      const slug = slugify(String(dash.title ?? ''));
      return reply(200, {
        uid, pluginId: '', title: dash.title, imported: true, importedUri: `db/${slug}`, importedUrl: `${SUB_PATH}/d/${uid}/${slug}`,
        slug, dashboardId: id, folderId: folderUid ? folders.get(folderUid).id : 0, folderUid, importedRevision: 0, revision: 0, path: '', removed: false, description: '',
      });
    }
    if (seg[1] === 'dashboards' && seg[2] === 'uid' && seg.length === 4 && method === 'GET') {
      const d = dashboards.get(seg[3]);
      if (!d) return reply(404, { message: 'Dashboard not found' });
      const slug = slugify(String(d.dashboard.title ?? ''));
      return reply(200, { dashboard: d.dashboard, meta: { slug, url: `${SUB_PATH}/d/${seg[3]}/${slug}`, folderUid: d.folderUid, folderTitle: folders.get(d.folderUid)?.title ?? 'General', version: d.version } });
    }

    // grafana.com proxy
    if (seg[1] === 'gnet' && seg[2] === 'dashboards' && seg.length === 4 && method === 'GET') {
      if (gnet === 'hang') return 0; // never answered; the socket is destroyed when the client gives up or on stop()
      if (gnet === 'offline') return reply(502, { message: 'Bad Gateway' });
      return seg[3] === '11159' ? reply(200, gnetEnvelope(11159)) : reply(404, { message: 'Not found' });
    }
    return reply(404, { message: 'Not found' });
  };

  function storeDatasource(body: any, meta: { id: number; version: number }) {
    if (body.isDefault) for (const d of datasources.values()) d.isDefault = false;
    const ds = {
      id: meta.id, uid: body.uid || `ds${meta.id}`, orgId: 1, name: body.name, type: body.type, typeLogoUrl: '', access: body.access,
      url: body.url ?? '', user: body.user ?? '', database: body.database ?? '', basicAuth: body.basicAuth ?? false,
      basicAuthUser: body.basicAuthUser ?? '', withCredentials: body.withCredentials ?? false, isDefault: body.isDefault ?? false,
      jsonData: body.jsonData ?? {}, secureJsonFields: {}, version: meta.version, readOnly: false,
    };
    datasources.set(ds.uid, ds);
    return ds;
  }

  /** Basic auth as the admin user against the stored password. */
  const isAdmin = (header: string | undefined): boolean => {
    if (!admin || !header) return false;
    const m = /^Basic (.+)$/.exec(header);
    if (!m) return false;
    let known = verified.get(header);
    if (known === undefined) {
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      known = colon >= 0 && decoded.slice(0, colon) === 'admin' && passwordMatches(admin, decoded.slice(colon + 1));
      verified.set(header, known);
    }
    return known;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (admin === undefined && passwordSource) {
        const p = await passwordSource().catch(() => undefined);
        if (p !== undefined && admin === undefined) setAdminPassword(p);
      }
      const url = new URL(req.url ?? '/', 'http://standin');
      const method = req.method ?? 'GET';
      let path = url.pathname;
      if (path === SUB_PATH || path.startsWith(`${SUB_PATH}/`)) path = path.slice(SUB_PATH.length) || '/';
      else if (!path.startsWith('/api/')) {
        // Grafana with serve_from_sub_path redirects non-API paths outside the sub path to root_url.
        res.writeHead(301, { location: `${origin}${SUB_PATH}${path}` });
        res.end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any;
      let parsed = true;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          parsed = false;
        }
      }
      const authorized = isAdmin(req.headers.authorization);
      const record: StandinRequest = { method, path, query: url.search, status: 0, authorized, body, at: Date.now() };
      requests.push(record);
      if (!parsed) violations.push(`${method} ${path}: body is not JSON`);
      else violations.push(...validateAgainstSpec(method, path, body, raw.length > 0));

      if (failure && failure.match(method, path)) {
        const m = failure.mode;
        if (m.kind === 'hang') return; // never answers; the socket is destroyed on stop()
        if (m.kind === 'close') {
          record.status = -1;
          req.socket.destroy();
          return;
        }
        record.status = m.status;
        send(res, m.status, { message: m.message ?? (m.status === 401 ? 'Unauthorized' : 'Internal Server Error') });
        return;
      }
      if (path !== '/api/health' && !authorized) {
        record.status = 401;
        send(res, 401, { message: req.headers.authorization ? 'Invalid username or password' : 'Unauthorized' });
        return;
      }
      Promise.resolve()
        .then(() => handleApi(method, path, url.searchParams, body, res))
        .then((status) => {
          record.status = status;
          // Every change is in the database before the next request (a 2xx to a mutating request is a change).
          if (method !== 'GET' && method !== 'HEAD' && status >= 200 && status < 300) save();
        }, (err) => {
          record.status = 500;
          send(res, 500, { message: `stand-in bug: ${(err as Error).message}` });
        });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    url: `${origin}${SUB_PATH}`,
    origin,
    requests,
    violations,
    datasources,
    folders,
    dashboards,
    setPassword: setAdminPassword,
    setGnet: (m) => { gnet = m; },
    setDatasourceHealth: (m) => { health = m; },
    setFailure: (mode, match = (_m, p) => p !== '/api/health') => { failure = mode ? { mode, match } : undefined; },
    wipe: () => {
      datasources.clear();
      folders.clear();
      dashboards.clear();
      save();
    },
    save,
    clearLog: () => {
      requests.length = 0;
    },
    mutations: () => requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').map((r) => `${r.method} ${r.path}`),
    stop() {
      stopped ??= new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      });
      return stopped;
    },
  };
}
