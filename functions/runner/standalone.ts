// The on-prem runner as one file (dist/pathguard-runner.mjs): `node pathguard-runner.mjs --config runner.json`.
import { main } from '../cli/main.js';

const args = process.argv.slice(2);
process.exitCode = await main(args[0] === 'runner' ? args : ['runner', ...args]);
