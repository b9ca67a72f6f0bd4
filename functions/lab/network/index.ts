/** The lab network: scenario, per-vantage DNS and routing, TCP forwarders writing VPC Flow Logs. */
export { scenarioEnvironment } from './environment.js';
export {
  type ForwardedConnection,
  flowRecordsFor,
  LAB_FLOW_LOG_FIELDS,
  LAB_FLOW_LOG_FORMAT,
  LAB_FLOW_LOG_FORMAT_SPEC,
  type LabFlowRecord,
} from './flow-records.js';
export {
  type LabLookup,
  type LabNetwork,
  type LabNetworkOptions,
  type LabNetworkUpstream,
  type LabVantage,
  startLabNetwork,
} from './network.js';
export {
  LAB_PATHS,
  type LabPath,
  type LabRoute,
  labRouteFor,
  resolveLabName,
  subnetRouteFor,
} from './paths.js';
export {
  type LabScenario,
  type LabScenarioVantage,
  labScenarioSchema,
  loadLabScenario,
  parseLabScenario,
} from './scenario.js';
