/** JSON with sorted keys, so documents that differ only in key order (Grafana's, IAM's) compare equal. */
export function canonicalJson(v: unknown): string {
  const sort = (n: unknown): unknown =>
    Array.isArray(n) ? n.map(sort)
      : n && typeof n === 'object' ? Object.fromEntries(Object.keys(n).sort().map((k) => [k, sort((n as Record<string, unknown>)[k])]))
        : n;
  return JSON.stringify(sort(v)) ?? 'undefined';
}
