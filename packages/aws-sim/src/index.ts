/**
 * `@fargate-prom/aws-sim`: what `up --sandbox` runs instead of AWS. A local AWS (moto behind a proxy
 * that adds what AWS enforces and how long it takes; spec: docs/simulation.md) and the stand-ins for
 * what runs beside a Fargate task: AMP's data plane, the task metadata endpoint, a SigV4 signing proxy.
 * Test controls live in `@fargate-prom/aws-sim/testing`, which does not ship.
 */
export { startSimulation, type Simulation, type SimulationOptions } from './simulation.js';
export { startAmpDataPlane, type AmpDataPlane, type DataPlaneCredentials } from './amp-data-plane.js';
export { startTaskMetadataEndpoint, type TaskMetadataEndpoint, type TaskMetadataOptions } from './task-metadata.js';
export { startSigningProxy, type SigningProxy } from './sigv4-proxy.js';
