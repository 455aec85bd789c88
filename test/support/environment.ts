// What the tests take from the machine they run on.

/**
 * Under CI (CI set, and not "false") a test whose tool is missing fails instead of skipping: CI installs
 * every tool, so a skip there would hide a broken set-up and pass without the proof.
 */
export const underCi = Boolean(process.env.CI) && process.env.CI !== 'false';
