import type { ECSClient } from '@aws-sdk/client-ecs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { AmpClient } from '@aws-sdk/client-amp';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { ACMClient } from '@aws-sdk/client-acm';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { AwsCredentialIdentity, Provider } from '@aws-sdk/types';
import { InterruptedError } from '../errors.js';
import { hasErrorName } from './errors.js';
import { sdk } from './sdk.js';
import { CallStats } from './stats.js';

export interface AwsSettings {
  region: string;
  profile?: string;
  endpointUrl?: string;
  /** Fixed keys instead of the SDK's credential chain (the sandbox's local AWS). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Aborts every call in flight (a second look at Ctrl-C: see session.ts). */
  signal?: AbortSignal;
  /** Once aborted (Ctrl-C), no new call starts; calls already sent finish (or `signal` cuts them off). */
  stopSignal?: AbortSignal;
}

type AnyClient = { middlewareStack: { add: Function; addRelativeTo?: Function }; send: Function; destroy(): void };

// Enough attempts that a burst of throttling or a dropped connection does not fail a long `up`;
// the SDK's backoff (with jitter, capped at 20 s) keeps this bounded.
const MAX_ATTEMPTS = Number(process.env.AWS_MAX_ATTEMPTS) > 0 ? Number(process.env.AWS_MAX_ATTEMPTS) : 8;

/**
 * One place that builds the AWS SDK clients, each on first use, with the same region, profile,
 * endpoint, retry policy, timeouts and call counting.
 */
export class AwsClients {
  readonly stats = new CallStats();
  private readonly cache = new Map<string, AnyClient>();

  constructor(readonly settings: AwsSettings) {}

  get ecs(): ECSClient { return this.get('ecs', () => sdk.ecs().ECSClient); }
  get ec2(): EC2Client { return this.get('ec2', () => sdk.ec2().EC2Client); }
  get iam(): IAMClient { return this.get('iam', () => sdk.iam().IAMClient); }
  get logs(): CloudWatchLogsClient { return this.get('logs', () => sdk.logs().CloudWatchLogsClient); }
  get amp(): AmpClient { return this.get('amp', () => sdk.amp().AmpClient); }
  get elb(): ElasticLoadBalancingV2Client { return this.get('elbv2', () => sdk.elbv2().ElasticLoadBalancingV2Client); }
  get secrets(): SecretsManagerClient { return this.get('secretsmanager', () => sdk.secrets().SecretsManagerClient); }
  get tagging(): ResourceGroupsTaggingAPIClient { return this.get('tagging', () => sdk.tagging().ResourceGroupsTaggingAPIClient); }
  get acm(): ACMClient { return this.get('acm', () => sdk.acm().ACMClient); }
  get route53(): Route53Client { return this.get('route53', () => sdk.route53().Route53Client); }
  get efs(): EFSClient { return this.get('efs', () => sdk.efs().EFSClient); }

  /** The resolved credentials (for signing AMP data-plane requests with SigV4). */
  credentials(): Provider<AwsCredentialIdentity> {
    const c = this.ecs.config.credentials;
    return () => c();
  }

  destroy(): void {
    for (const client of this.cache.values()) client.destroy();
    this.cache.clear();
  }

  /** The client of `service`, made (and its SDK package loaded) on first use. */
  private get<T extends AnyClient>(service: string, load: () => new (config: object) => T): T {
    let client = this.cache.get(service) as T | undefined;
    if (!client) {
      const Client = load();
      client = new Client({
        region: this.settings.region,
        ...(this.settings.profile ? { profile: this.settings.profile } : {}),
        ...(this.settings.endpointUrl ? { endpoint: this.settings.endpointUrl } : {}),
        ...(this.settings.credentials ? { credentials: this.settings.credentials } : {}),
        maxAttempts: MAX_ATTEMPTS,
        // AWS control-plane calls answer in seconds; an endpoint that accepts and never answers must
        // not hold a command for minutes (each attempt is bounded, and so are the attempts).
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 },
      });
      if (this.settings.signal || this.settings.stopSignal) {
        const send = client.send.bind(client) as (command: unknown, options?: object) => Promise<unknown>;
        const stop = this.settings.stopSignal ?? this.settings.signal;
        (client as { send: unknown }).send = (command: unknown, options?: object) =>
          stop?.aborted
            ? Promise.reject(stop.reason)
            : send(command, { abortSignal: this.settings.signal, ...options }).catch((err: unknown) => {
              // Only Ctrl-C aborts calls (see session.ts): a call cut off then is the interrupt, not a failure of its own.
              throw stop?.aborted && hasErrorName(err, 'AbortError') ? new InterruptedError() : err;
            });
      }
      this.stats.instrument(service, client);
      this.cache.set(service, client);
    }
    return client;
  }
}
