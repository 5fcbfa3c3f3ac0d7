/**
 * The simulated account: an in-process model of the AWS resources irflow's tasks touch, answering
 * the real SDK v3 clients without any network. See account.ts for how calls are answered and
 * scenario.ts for the scenario file format.
 */
export { SimulatedAccount, type CallRecord, type SimulatedAccountOptions } from "./account.js";
export { loadEvent, loadScenario, parseEvent, parseScenario, scenarioFromData, ScenarioError, ScenarioFile, type Scenario, type ScenarioIssue, type ScenarioOptions, type EventBridgeEvent } from "./scenario.js";
export { FaultConfig, type FaultConfigInput } from "./faults.js";
export { AccountResources, type AccountResourcesInput } from "./resources.js";
export { ResourceError, SERVICES, SimulationError, type ServiceName } from "./errors.js";
export { MIDDLEWARE_NAME } from "./middleware.js";
export type { PublishedMessage } from "./sns.js";
