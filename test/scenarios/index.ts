import { awsScenarios } from './aws.scenarios.js';
import { azureScenarios } from './azure.scenarios.js';
import { gcpScenarios } from './gcp.scenarios.js';
import type { Scenario } from './scenario.js';

/** Every scenario of the suite, in the order `npm run eval` runs them. */
export const scenarios: Scenario[] = [...awsScenarios, ...azureScenarios, ...gcpScenarios];
