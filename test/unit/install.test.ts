import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// What the README tells an operator to run: `npm install -g .` puts `pathguard` on the PATH. Into
// a throw-away prefix, offline (a folder install is a link to this checkout: nothing to download),
// then run from a folder outside the repository, where `npx pathguard` would not find it.
const prefix = mkdtempSync(join(tmpdir(), 'pg-install-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'pg-elsewhere-'));
afterAll(() => {
  rmSync(prefix, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

const sh = (cmd: string, args: string[], cwd: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = execFile(cmd, args, { cwd, timeout: 60_000 }, (_e, stdout, stderr) =>
      done({ code: child.exitCode, stdout, stderr }),
    );
  });

describe('install as a command', () => {
  it('npm install -g . gives a pathguard that runs outside the repository', async () => {
    const install = await sh(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '.'],
      resolve('.'),
    );
    expect(install.code, install.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'pathguard');
    const version = await sh(process.execPath, [bin, '--version'], elsewhere);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const help = await sh(process.execPath, [bin, 'discover', '--help'], elsewhere);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pathguard discover /);
  }, 90_000);
});
