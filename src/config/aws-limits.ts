// Values AWS enforces server-side; checked here so a bad flag fails before any AWS call.
// Sources: https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html (Fargate cpu/memory) and
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html (log retention).

/** Fargate task cpu units → allowed memory (MiB). */
export const FARGATE_MEMORY_BY_CPU: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function describeMemoryChoices(cpu: number): string {
  const mem = FARGATE_MEMORY_BY_CPU[cpu];
  if (!mem) return '';
  return mem.length <= 4 ? mem.join(', ') : `${mem[0]}–${mem[mem.length - 1]} in steps of ${mem[1] - mem[0]}`;
}
