import { ACMClient, DescribeCertificateCommand, ResourceNotFoundException } from '@aws-sdk/client-acm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../src/aws/clients.js';
import { checkCertificate, covers } from '../src/stack/certificate.js';

// The states moto never holds for long (its requested certificates are issued at once in the simulation).
const acm = mockClient(ACMClient);
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a9c-1b2d-4c5e-8f90-a1b2c3d4e5f6';
const aws = () => new AwsClients({ region: 'us-east-1' });

afterEach(() => acm.reset());

describe('checkCertificate', () => {
  it.each(['PENDING_VALIDATION', 'EXPIRED', 'REVOKED', 'FAILED'])('refuses a %s certificate with the fix', async (status) => {
    acm.on(DescribeCertificateCommand).resolves({ Certificate: { CertificateArn: ARN, Status: status as never } });
    await expect(checkCertificate(aws(), ARN)).rejects.toThrow(
      `--certificate-arn: the certificate is ${status}, and a load balancer needs an ISSUED one; finish its validation in ACM (or pass another) and run again`,
    );
  });

  it('refuses one ACM does not have', async () => {
    acm.on(DescribeCertificateCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    await expect(checkCertificate(aws(), ARN)).rejects.toMatchObject({ code: 'INVALID_INPUT', exitCode: 2 });
  });

  it('accepts an ISSUED certificate and serves under its name, or a --domain it covers', async () => {
    acm.on(DescribeCertificateCommand).resolves({ Certificate: { CertificateArn: ARN, Status: 'ISSUED', DomainName: 'Shop.example.com', SubjectAlternativeNames: ['shop.example.com', '*.shop.example.com'] } });
    await expect(checkCertificate(aws(), ARN)).resolves.toBe('shop.example.com');
    await expect(checkCertificate(aws(), ARN, 'grafana.shop.example.com')).resolves.toBe('grafana.shop.example.com');
    await expect(checkCertificate(aws(), ARN, 'example.com')).rejects.toThrow('--domain: the certificate covers shop.example.com, *.shop.example.com but not example.com; pass a --domain it covers, or a --certificate-arn for example.com');
  });
});

describe('covers: a wildcard stands for exactly one label', () => {
  it.each([
    ['a.example.com', 'a.example.com', true],
    ['a.example.com', 'b.example.com', false],
    ['*.example.com', 'grafana.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'grafana.example.org', false],
  ])('%s covers %s: %s', (cert, host, expected) => {
    expect(covers(cert, host)).toBe(expected);
  });
});
