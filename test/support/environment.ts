import { resolve } from 'node:path';

// What the tests take from the machine they run on.

/**
 * Test data not copied into the repository: Grafana's HTTP API spec
 * (https://github.com/grafana/grafana/blob/main/public/openapi3.json) and dashboard 11159 as grafana.com
 * serves it (https://grafana.com/api/dashboards/11159/revisions/latest/download). FARGATE_PROM_FIXTURES names
 * the directory holding `grafana-openapi.json` and `dashboard-11159.json`; by default, `shared/fixtures`
 * beside the checkout.
 */
export const FIXTURES = process.env.FARGATE_PROM_FIXTURES ?? resolve(import.meta.dirname, '../../..', 'shared', 'fixtures');

/**
 * Under CI (CI set, and not "false") a test whose tool is missing fails instead of skipping: CI installs
 * every tool, so a skip there would hide a broken set-up and pass without the proof.
 */
export const underCi = Boolean(process.env.CI) && process.env.CI !== 'false';
