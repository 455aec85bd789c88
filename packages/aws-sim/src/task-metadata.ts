import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface TaskMetadataEndpoint {
  /** The value of ECS_CONTAINER_METADATA_URI_V4 for a container of this task. */
  uri: string;
  taskId: string;
  taskArn: string;
  /** How many requests for `/task` it has had (answered or not). */
  requests(): number;
  close(): Promise<void>;
}

export interface TaskMetadataOptions {
  region: string;
  cluster: string;
  family: string;
  revision?: number;
  account?: string;
  /** The task this endpoint belongs to (e.g. one the simulation runs); default: a made-up one. */
  taskArn?: string;
  /** Listen on this loopback port (default: any free one). */
  port?: number;
}

/** How the endpoint treats the nth request for `/task` (from 1): answered, refused with 503, or never answered. */
export type TaskRequestTurn = (n: number) => 'answer' | 'unavailable' | 'hang';

/**
 * A loopback stand-in for the ECS task metadata endpoint v4 of one Fargate task: `/task` answers
 * what Fargate answers, enough for the agent's start script (TaskARN, Cluster, Family, …).
 */
export function startTaskMetadataEndpoint(opts: TaskMetadataOptions): Promise<TaskMetadataEndpoint> {
  return serveTaskMetadata(opts, () => 'answer');
}

/** startTaskMetadataEndpoint with a say in each `/task` request: for `testing.ts` only (a task still starting). */
export async function serveTaskMetadata(opts: TaskMetadataOptions, turn: TaskRequestTurn): Promise<TaskMetadataEndpoint> {
  const account = opts.account ?? '123456789012';
  const taskArn = opts.taskArn ?? `arn:aws:ecs:${opts.region}:${account}:task/${opts.cluster}/${randomBytes(16).toString('hex')}`;
  const taskId = taskArn.split('/').pop()!;
  const task = {
    Cluster: `arn:aws:ecs:${opts.region}:${account}:cluster/${opts.cluster}`,
    TaskARN: taskArn,
    Family: opts.family,
    Revision: String(opts.revision ?? 1),
    DesiredStatus: 'RUNNING',
    KnownStatus: 'RUNNING',
    LaunchType: 'FARGATE',
    AvailabilityZone: `${opts.region}a`,
    Containers: [],
  };
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const how = req.url === '/task' ? turn(++requests) : undefined;
    if (how === 'hang') return; // never answers; close() drops the connection
    if (how === 'unavailable') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('task metadata not available yet\n');
    } else if (how === 'answer') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(task, null, 2));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    uri: `http://127.0.0.1:${port}`,
    taskId,
    taskArn,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
