import type { AwsClients } from '../aws/clients.js';
import { hasErrorName } from '../aws/errors.js';
import { InputError } from '../errors.js';
import { sdk } from '../aws/sdk.js';

/**
 * An ALB listener takes only an ISSUED certificate of its own region. CreateListener would say so only
 * after most of the stack exists, so look first (a read call, before any change). Returns the host name
 * HTTPS is served under: --domain when given (it must be covered), else the certificate's own name.
 */
export async function checkCertificate(aws: AwsClients, arn: string, domain?: string): Promise<string> {
  const { DescribeCertificateCommand } = sdk.acm(); // loaded only for a stack with a certificate
  let certificate;
  try {
    certificate = (await aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
  } catch (err) {
    if (hasErrorName(err, 'ResourceNotFoundException')) {
      throw new InputError(`--certificate-arn: there is no such certificate in ACM in ${aws.settings.region}; pass the ARN of an issued certificate from this account and region`);
    }
    throw err;
  }
  const status = certificate?.Status;
  if (status !== 'ISSUED') {
    throw new InputError(`--certificate-arn: the certificate is ${status ?? 'in an unknown state'}, and a load balancer needs an ISSUED one; finish its validation in ACM (or pass another) and run again`);
  }
  return servedDomain(certificate?.DomainName ?? '', certificate?.SubjectAlternativeNames ?? [], domain);
}

/**
 * The host to serve under, from the certificate's names and --domain. A certificate never covers the
 * ALB's own name (*.elb.amazonaws.com), so every HTTPS URL must use a name the certificate does cover.
 */
export function servedDomain(domainName: string, alternativeNames: string[], domain?: string): string {
  const names = [...new Set([domainName, ...alternativeNames].map((n) => n.toLowerCase()).filter(Boolean))];
  if (domain === undefined) {
    if (domainName === '' || domainName.startsWith('*.')) {
      throw new InputError(`--domain: the certificate is for ${domainName || 'no name'}, a wildcard; pass the host to serve under, e.g. --domain ${domainName ? domainName.replace(/^\*/, 'grafana') : 'grafana.example.com'}`);
    }
    return domainName.toLowerCase();
  }
  if (!names.some((n) => covers(n, domain))) {
    throw new InputError(`--domain: the certificate covers ${names.join(', ')} but not ${domain}; pass a --domain it covers, or a --certificate-arn for ${domain}`);
  }
  return domain;
}

/**
 * Whether a certificate name covers a host: the same name, or a wildcard standing for exactly one
 * leftmost label (*.example.com covers a.example.com, not example.com nor a.b.example.com).
 * https://docs.aws.amazon.com/acm/latest/userguide/acm-certificate.html
 */
export function covers(certName: string, host: string): boolean {
  if (!certName.startsWith('*.')) return certName === host;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === certName.slice(2);
}
