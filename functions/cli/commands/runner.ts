import { readFile } from 'node:fs/promises';
import { validateConfig } from '../../../shared/config/index.js';
import { PathGuardError, UserInputError } from '../../../shared/errors.js';
import { allowedS3Hosts } from '../../../shared/probes/orders.js';
import { displayText } from '../../../shared/text/escape.js';
import { loadRunnerConfig, runOnce } from '../../runner/onprem.js';
import type { CommandSpec } from '../command.js';

/** `pathguard runner`: the on-prem runner (also shipped as the one-file dist/pathguard-runner.mjs). */
export const runnerCommand: CommandSpec = {
  path: ['runner'],
  summary: "on-prem runner: fetch this runner's order, fetch its probes, report the observations",
  usage:
    'runner --runner-config runner.json [--once | --interval SECONDS] | runner --allowed-hosts pathguard.config.json',
  help: `Reads its order (a JSON document with presigned probe URLs), refuses it when it is stale
or when any URL's host is not one of allowedHosts or its bucket (from the host, or the first path
segment of a path-style URL) is not one of probeBuckets (probes) or resultsBucket (reports),
fetches each probe as this host sees the
network (its DNS, its routes) and uploads each observation through the presigned PUT URL the
order carries. It holds no AWS credentials for writing.

runner.json:
  { "runnerId": "onprem-dc1", "orderUrl": "https://…", "allowedHosts": ["bucket.s3.us-east-1.amazonaws.com", …],
    "probeBuckets": ["bucket"], "resultsBucket": "results-bucket", "concurrency": 4, "timeoutMs": 15000 }
  orderUrl is a presigned GET of orders/<runnerId>/latest.json, or, with
  "orderAuth": { "kind": "sigv4", "region": "us-east-1", "credentialProcess": ["aws_signing_helper", …] },
  its plain S3 URL read with this host's credentials (credentialProcess, else AWS_* variables).

Options:
  --runner-config FILE  runner.json (the runner's own file; not the PathGuard config that
                        'analyze --config' and 'discover --config' read)
  --once              one pass, then exit (default; for cron and systemd timers)
  --interval SECONDS  repeat every SECONDS until SIGINT/SIGTERM
  --allowed-hosts FILE  print the allowedHosts list for a PathGuard config (JSON), then exit

Exit status: 0 when every observation was uploaded, 1 when some were not or the order could not
be used (stale, tampered, unreachable), 2 on a usage error. See docs/onprem-runner.md.`,
  options: {
    'runner-config': { type: 'string' },
    // Its old name, refused with a hint: '--config' is the PathGuard config everywhere else.
    config: { type: 'string' },
    once: { type: 'boolean' },
    interval: { type: 'string' },
    'allowed-hosts': { type: 'string' },
  },
  async run({ values, io }) {
    const hostsFor = values['allowed-hosts'];
    if (typeof hostsFor === 'string') {
      let doc: unknown;
      try {
        doc = JSON.parse(await readFile(hostsFor, 'utf8'));
      } catch (e) {
        throw new UserInputError('CONFIG_INVALID', `${hostsFor}: cannot read JSON (${(e as Error).message})`);
      }
      const cfg = validateConfig(doc);
      if (!cfg.ok) throw new UserInputError('CONFIG_INVALID', `${hostsFor}: ${cfg.error.message}`);
      io.stdout.write(`${JSON.stringify(allowedS3Hosts(cfg.value), null, 2)}\n`);
      return 0;
    }
    if (typeof values.config === 'string') {
      throw new UserInputError(
        'USAGE',
        `--config is now --runner-config (the runner's own file): run with --runner-config ${values.config}`,
      );
    }
    const file = values['runner-config'];
    if (typeof file !== 'string')
      throw new UserInputError('USAGE', '--runner-config runner.json is required');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new UserInputError('INPUT_UNREADABLE', `${file}: cannot read`, {}, 1);
    }
    const cfg = loadRunnerConfig(text, file);
    if (values.once === true && values.interval !== undefined) {
      throw new UserInputError('USAGE', '--once and --interval exclude each other');
    }
    const interval = typeof values.interval === 'string' ? Number(values.interval) : null;
    if (interval !== null && (!Number.isInteger(interval) || interval < 10)) {
      throw new UserInputError('USAGE', '--interval must be a whole number of seconds, at least 10');
    }
    // Lines quote the order (runId, hosts): escaped, so an order cannot forge lines or send ANSI codes.
    const log = (line: string) =>
      io.stdout.write(`${new Date().toISOString()} ${cfg.runnerId} ${displayText(line)}\n`);
    const pass = async (): Promise<number> => {
      try {
        const r = await runOnce(cfg, { log });
        log(
          `run ${r.runId}: ${r.probes.filter((p) => p.uploaded).length}/${r.probes.length} observations reported`,
        );
        return r.ok ? 0 : 1;
      } catch (e) {
        if (e instanceof PathGuardError) {
          io.stderr.write(`pathguard runner: ${e.code}: ${displayText(e.message)}\n`);
          return 1;
        }
        throw e;
      }
    };
    if (interval === null) return pass();
    let stop = false;
    const onSignal = () => {
      stop = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let code = 0;
    try {
      while (!stop) {
        code = await pass();
        for (let waited = 0; waited < interval * 1000 && !stop; waited += 500)
          await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return code;
  },
};
