// The on-prem runner as one file (dist/pathguard-runner.mjs): `node pathguard-runner.mjs --runner-config runner.json`.
// Only the runner command is bundled (no AWS SDK, no other command), so the file stays small.
import { parseArgs } from 'node:util';
import { UserInputError } from '../../shared/errors.js';
import { displayText } from '../../shared/text/escape.js';
import { runnerCommand } from '../cli/commands/runner.js';
import { VERSION } from '../cli/version.js';

const args = process.argv.slice(2);
const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
try {
  const { values, positionals } = parseArgs({
    args: args[0] === 'runner' ? args.slice(1) : args,
    options: {
      ...runnerCommand.options,
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.version) {
    // The release's version (package.json at build time): what an operator compares with the
    // published checksum file's release.
    process.stdout.write(`${VERSION}\n`);
    process.exitCode = 0;
  } else if (values.help) {
    process.stdout.write(
      `Usage: pathguard-runner.mjs ${runnerCommand.usage.replace(/(^|\| )runner /g, '$1')}\n\n${runnerCommand.summary}\n\n${runnerCommand.help}\n`,
    );
    process.exitCode = 0;
  } else {
    process.exitCode = await runnerCommand.run({ values, positionals, io } as Parameters<
      typeof runnerCommand.run
    >[0]);
  }
} catch (e) {
  process.stderr.write(`pathguard-runner: ${displayText((e as Error).message.replace(/\s*\n\s*/g, ' '))}\n`);
  process.exitCode = e instanceof UserInputError ? e.exitCode : 2;
}
