import { AmpClient } from '@aws-sdk/client-amp';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Route53Client } from '@aws-sdk/client-route-53';

/** SDK clients that talk to moto directly (bypassing the rules), so rules can look at current state. */
export interface MotoClients {
  ecs: ECSClient;
  ec2: EC2Client;
  efs: EFSClient;
  elb: ElasticLoadBalancingV2Client;
  logs: CloudWatchLogsClient;
  amp: AmpClient;
  secrets: SecretsManagerClient;
  route53: Route53Client;
}

export class MotoClientPool {
  private readonly byRegion = new Map<string, MotoClients>();

  constructor(private readonly endpoint: string) {}

  forRegion(region: string): MotoClients {
    let clients = this.byRegion.get(region);
    if (!clients) {
      const config = {
        endpoint: this.endpoint,
        region,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        maxAttempts: 2,
      };
      clients = {
        ecs: new ECSClient(config),
        ec2: new EC2Client(config),
        efs: new EFSClient(config),
        elb: new ElasticLoadBalancingV2Client(config),
        logs: new CloudWatchLogsClient(config),
        amp: new AmpClient(config),
        secrets: new SecretsManagerClient(config),
        route53: new Route53Client(config),
      };
      this.byRegion.set(region, clients);
    }
    return clients;
  }

  destroy(): void {
    for (const clients of this.byRegion.values()) for (const client of Object.values(clients)) client.destroy();
    this.byRegion.clear();
  }
}
