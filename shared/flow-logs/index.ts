export {
  FIELDS_BY_VERSION,
  FLOW_FIELDS,
  type FlowFieldSpec,
  fieldSpec,
  isKnownFlowField,
  toCamelCase,
  V2_FIELD_NAMES,
} from './fields.js';
export {
  DEFAULT_FLOW_FORMAT,
  type FlowFormat,
  flowFormatOf,
  looksLikeFlowHeader,
  parseFlowFormat,
} from './format.js';
export { formatFlowHeader, formatFlowRecord } from './formatter.js';
export { checkFlowInteger, checkFlowStartEnd, checkFlowValue } from './meaning.js';
export {
  type CompiledFlowFormat,
  compileFlowFormat,
  DEFAULT_MAX_FLOW_LINE_BYTES,
  FlowLineParser,
  FlowLogStreamParser,
  type FlowMeaningOption,
  type FlowStreamOptions,
  parseFlowLine,
  parseFlowLogText,
  type ScanEnd,
} from './parser.js';
export type { FlowRecord } from './types.js';
