// Defaults the help text shows. Kept apart from options.ts so `--help` does not load zod.
export const DEFAULT_STACK_NAME = 'fargate-prom';
// Pinned: a Grafana release that runs the grafana-amazonprometheus-datasource plugin (3.x needs ≥12.2.5).
export const DEFAULT_GRAFANA_IMAGE = 'grafana/grafana:12.4.5';
