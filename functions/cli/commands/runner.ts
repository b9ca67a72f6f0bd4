import { readFile } from 'node:fs/promises';
import { validateConfig } from '../../../shared/config/index.js';
import { PathGuardError, UserInputError } from '../../../shared/errors.js';
import { allowedS3Hosts } from '../../../shared/probes/orders.js';
import { displayText } from '../../../shared/text/escape.js';
import { loadRunnerConfig, runOnce } from '../../runner/onprem.js';
import type { CommandSpec } from '../command.js';
import { runnerInfo } from './runner.info.js';

/** `pathguard runner`: the on-prem runner (also shipped as the one-file dist/pathguard-runner.mjs). */
export const runnerCommand: CommandSpec = {
  ...runnerInfo,
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
