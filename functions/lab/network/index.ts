/** The lab network: scenario, per-vantage DNS and routing, TCP forwarders writing VPC Flow Logs. */
export { scenarioEnvironment } from './environment.js';
export {
  type ConnectionFacts,
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
  type LabDevice,
  type LabEni,
  type LabHop,
  type LabPath,
  type LabTrace,
  labIndex,
  onPremVpc,
  resolveLabName,
  traceLabPath,
} from './paths.js';
export {
  type LabScenario,
  type LabScenarioInput,
  type LabScenarioVantage,
  type LabScenarioVpc,
  labScenarioSchema,
  loadLabScenario,
  parseLabScenario,
} from './scenario.js';
export {
  type LabRequestSimulation,
  originOf,
  type SimulatedAccessLog,
  type SimulateOptions,
  simulateRequest,
} from './simulate.js';
