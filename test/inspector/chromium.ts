/**
 * The browser the inspector's page is tested in: Debian's chromium (`/usr/bin/chromium`, or
 * `OMNISCIENT_CHROMIUM`), driven by playwright-core, which downloads no browser. `.ci/run`
 * installs chromium when it is missing; without it the browser specifications fail in CI and are
 * skipped loudly elsewhere.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM = process.env['OMNISCIENT_CHROMIUM'] ?? '/usr/bin/chromium';

/** `describe` for specifications that need the browser. */
export function describeWithChromium(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
    return;
  }
  const why = `no chromium at ${CHROMIUM} (apt-get install chromium, or set OMNISCIENT_CHROMIUM)`;
  if (process.env['CI']) {
    describe(name, () => {
      it('needs chromium', () => {
        throw new Error(`${why}: in CI the browser specifications must run`);
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPING "${name}": ${why} ***\n`);
  describe.skipIf(true)(`${name} [skipped: ${why}]`, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Headless, and quiet on a machine without the internet: no background connections at all.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--font-render-hinting=none',
    ],
  });
}
