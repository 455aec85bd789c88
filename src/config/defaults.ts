// Defaults the help text shows. Kept apart from options.ts so `--help` does not load zod.
export const DEFAULT_STACK_NAME = 'fargate-prom';
// Pinned: a Grafana release that runs the grafana-amazonprometheus-datasource plugin (3.x needs ≥12.2.5).
// From Docker Hub: Grafana does not publish its official image to ECR Public (the request for it,
// grafana/grafana#29539, is open), and copies there are third parties' (e.g. bitnami/grafana).
export const DEFAULT_GRAFANA_IMAGE = 'grafana/grafana:12.4.5';
// The AMP data source plugin, pinned beside the Grafana image it runs in; installed at start as
// id@version (GF_PLUGINS_PREINSTALL_SYNC, https://grafana.com/docs/grafana/latest/administration/plugin-management/plugin-install/).
export const AMP_PLUGIN = 'grafana-amazonprometheus-datasource@3.3.5';
