import type { CommandEntry } from '../command.js';
import { analyzeInfo } from './analyze.info.js';
import { athenaDdlInfo } from './athena.info.js';
import { classifyInfo } from './classify.info.js';
import { discoverInfo } from './discover.info.js';
import { inspectUrlInfo } from './inspect-url.info.js';
import { labInfo } from './lab.info.js';
import { parseCloudTrailInfo } from './parse-cloudtrail.info.js';
import { parseFlowInfo } from './parse-flow.info.js';
import { parseS3AccessInfo } from './parse-s3-access.info.js';
import { reportInfo } from './report.info.js';
import { runnerInfo } from './runner.info.js';

/**
 * Every CLI command, in the order `pathguard --help` lists them. Each lives in its own file in this
 * folder, its help in `<name>.info.ts`; add new ones here. The code is a dynamic import, one bundle
 * chunk per command (scripts/build.mjs splits the bundle): starting the CLI loads none of it, and
 * running a command loads its own modules only.
 */
export const commands: readonly CommandEntry[] = [
  { ...labInfo, load: async () => (await import('./lab.js')).labCommand },
  { ...discoverInfo, load: async () => (await import('./discover.js')).discoverCommand },
  { ...parseFlowInfo, load: async () => (await import('./parse-flow.js')).parseFlowCommand },
  { ...parseS3AccessInfo, load: async () => (await import('./parse-s3-access.js')).parseS3AccessCommand },
  {
    ...parseCloudTrailInfo,
    load: async () => (await import('./parse-cloudtrail.js')).parseCloudTrailCommand,
  },
  { ...inspectUrlInfo, load: async () => (await import('./inspect-url.js')).inspectUrlCommand },
  { ...classifyInfo, load: async () => (await import('./classify.js')).classifyCommand },
  { ...analyzeInfo, load: async () => (await import('./analyze.js')).analyzeCommand },
  { ...reportInfo, load: async () => (await import('./report.js')).reportCommand },
  { ...runnerInfo, load: async () => (await import('./runner.js')).runnerCommand },
  { ...athenaDdlInfo, load: async () => (await import('./athena.js')).athenaDdlCommand },
];
