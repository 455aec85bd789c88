import { resolve } from 'node:path';

// What the tests take from the machine they run on.

/**
 * Test data kept outside the repository (Grafana's OpenAPI spec, dashboard 11159 as grafana.com serves it):
 * the one line to change to point the tests at another copy.
 */
export const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures');

/**
 * Under CI (CI set, and not "false") a test whose tool is missing fails instead of skipping: CI installs
 * every tool, so a skip there would hide a broken set-up and pass without the proof.
 */
export const underCi = Boolean(process.env.CI) && process.env.CI !== 'false';
