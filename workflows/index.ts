/** The worker's workflowsPath: every workflow type the service registers. */
export { backfillWorkflow } from './backfill';
export { partitionWorkflow } from './partition';
export { planWorkflow } from './plan';
export { stagingProbeWorkflow } from './staging-probe';
