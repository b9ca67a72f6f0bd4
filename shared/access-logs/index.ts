/** S3 server access logs: the text format's parser and formatter, and the CloudWatch Logs JSON form. */
export {
  fromCloudWatchAccessLogRecord,
  parseCloudWatchAccessLogJson,
} from './cloudwatch.js';
export { formatAccessLogRecord } from './formatter.js';
export {
  ACCESS_LOG_FIELDS,
  AccessLogLineParser,
  type AccessLogParseOptions,
  DEFAULT_MAX_ACCESS_LOG_LINE_BYTES,
  MIN_ACCESS_LOG_FIELDS,
  parseAccessLogLine,
  parseAccessLogString,
  parseLogTime,
  unescapeQuoted,
} from './parser.js';
export { redactAccessLogRecord } from './redact.js';
export {
  type AccessLogTokens,
  createAccessLogTokens,
  MAX_ACCESS_LOG_FIELDS,
  TOKEN_BRACKETED,
  TOKEN_PLAIN,
  TOKEN_QUOTED,
  TOKEN_QUOTED_ESCAPED,
  TOKENIZE_TOO_MANY_FIELDS,
  TOKENIZE_UNTERMINATED_BRACKET,
  TOKENIZE_UNTERMINATED_QUOTE,
  type TokenizeStatus,
  tokenizeAccessLogLine,
} from './tokenizer.js';
export { type AccessLogRecord, emptyAccessLogRecord } from './types.js';
