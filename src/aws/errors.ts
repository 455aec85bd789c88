import { CliError } from '../errors.js';
/** The SDK v3 error name (`EntityAlreadyExistsException`) or wire code (`InvalidGroup.NotFound`). */
export function errorName(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string } | undefined;
  return e?.name && e.name !== 'Error' ? e.name : (e?.Code ?? e?.code ?? e?.name ?? '');
}

export function errorMessage(err: unknown): string {
  const e = err as { message?: string } | undefined;
  return (e?.message ?? String(err)).replace(/\s+/g, ' ').trim();
}

export function hasErrorName(err: unknown, ...names: string[]): boolean {
  const n = errorName(err);
  return names.some((x) => n === x || n === `${x}Exception` || `${n}Exception` === x);
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError'];

/** One line a user can act on, for any error an AWS call can raise. */
export function describeError(err: unknown): string {
  // Our own errors are already written for the user.
  if (err instanceof CliError) return err.message;
  // The SDK and AWS name some of these only in their message text; matching it is the only way.
  const name = errorName(err);
  const message = errorMessage(err);
  const code = (err as { code?: string })?.code ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials|Unable to locate credentials/i.test(message)) {
    return 'no AWS credentials found (environment, --profile, config files, SSO); run `aws configure` or `aws sso login`, or pass --profile';
  }
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(name) || /token.*expired|expired.*token/i.test(message)) {
    return 'the AWS credentials have expired; refresh them (for SSO: `aws sso login`) and run again';
  }
  if (/^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|AuthFailure|InvalidSignatureException)$/.test(name)) {
    return `AWS rejected the credentials (${name}); check the access key, secret and --profile`;
  }
  if (/^(AccessDenied|AccessDeniedException|UnauthorizedOperation)$/.test(name)) {
    return `not permitted by IAM: ${message}`;
  }
  if (NETWORK_CODES.includes(code) || NETWORK_CODES.includes(name) || /ECONNREFUSED|ENOTFOUND|getaddrinfo/.test(message)) {
    return `cannot reach the AWS endpoint (${message}); check --region, --endpoint-url and your network`;
  }
  if (/^(Throttling|ThrottlingException|RequestLimitExceeded|TooManyRequestsException)$/.test(name)) {
    return `AWS kept throttling requests after several retries (${name}); wait a minute and run again — it resumes where it stopped`;
  }
  if (name === 'SyntaxError' || /Deserialization error|XML parse/i.test(message)) {
    return `the AWS endpoint answered with something that is not an AWS response (${message.slice(0, 160)})`;
  }
  return name && !message.startsWith(name) ? `${name}: ${message}` : message;
}
