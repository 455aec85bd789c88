import type { AwsClients } from '../aws/clients.js';
import { hasErrorName } from '../aws/errors.js';
import { InputError } from '../errors.js';
import { sdk } from '../aws/sdk.js';

/**
 * An ALB listener takes only an ISSUED certificate of its own region. CreateListener would say so only
 * after most of the stack exists, so look first (a read call, before any change).
 */
export async function checkCertificate(aws: AwsClients, arn: string): Promise<void> {
  const { DescribeCertificateCommand } = sdk.acm(); // loaded only for a stack with a certificate
  let status: string | undefined;
  try {
    status = (await aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate?.Status;
  } catch (err) {
    if (hasErrorName(err, 'ResourceNotFoundException')) {
      throw new InputError(`--certificate-arn: there is no such certificate in ACM in ${aws.settings.region}; pass the ARN of an issued certificate from this account and region`);
    }
    throw err;
  }
  if (status !== 'ISSUED') {
    throw new InputError(`--certificate-arn: the certificate is ${status ?? 'in an unknown state'}, and a load balancer needs an ISSUED one; finish its validation in ACM (or pass another) and run again`);
  }
}
