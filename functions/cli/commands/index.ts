import type { CommandSpec } from '../command.js';
import { analyzeCommand } from './analyze.js';
import { athenaDdlCommand } from './athena.js';
import { classifyCommand } from './classify.js';
import { discoverCommand } from './discover.js';
import { inspectUrlCommand } from './inspect-url.js';
import { labCommand } from './lab.js';
import { parseCloudTrailCommand } from './parse-cloudtrail.js';
import { parseFlowCommand } from './parse-flow.js';
import { parseS3AccessCommand } from './parse-s3-access.js';
import { reportCommand } from './report.js';
import { runnerCommand } from './runner.js';

/**
 * Every CLI command, in the order `pathguard --help` lists them. Each lives in its own file in this
 * folder; add new ones here.
 */
export const commands: readonly CommandSpec[] = [
  labCommand,
  discoverCommand,
  parseFlowCommand,
  parseS3AccessCommand,
  parseCloudTrailCommand,
  inspectUrlCommand,
  classifyCommand,
  analyzeCommand,
  reportCommand,
  runnerCommand,
  athenaDdlCommand,
];
