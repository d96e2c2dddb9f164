/**
 * A screenshot compared with the one kept beside the specification (`screenshots/<name>.png`): the
 * page must look as it did, within a few stray pixels of anti-aliasing. When it does not, the new
 * screenshot and a picture of the differences are written next to the kept one
 * (`<name>.actual.png`, `<name>.diff.png`, not committed) to look at. To keep a page change that is
 * meant, run the specification with `UPDATE_SCREENSHOTS=1`; a missing screenshot is written the
 * same way, except in CI, where it fails.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';

const FOLDER = fileURLToPath(new URL('./screenshots/', import.meta.url));
/** The share of pixels that may differ: a few glyph edges, never a moved or missing element. */
const TOLERATED_SHARE = 0.002;

export function expectScreenshotToMatch(name: string, actual: Buffer): void {
  mkdirSync(FOLDER, { recursive: true });
  const kept = path.join(FOLDER, `${name}.png`);
  const actualFile = path.join(FOLDER, `${name}.actual.png`);
  const diffFile = path.join(FOLDER, `${name}.diff.png`);
  rmSync(actualFile, { force: true });
  rmSync(diffFile, { force: true });
  if (process.env['UPDATE_SCREENSHOTS'] === '1' || (!existsSync(kept) && !process.env['CI'])) {
    writeFileSync(kept, actual);
    console.warn(`screenshot ${name}: written to ${kept}; look at it, and commit it`);
    return;
  }
  if (!existsSync(kept)) {
    writeFileSync(actualFile, actual);
    throw new Error(`no kept screenshot ${kept}; the page now looks like ${actualFile}`);
  }
  const expected = PNG.sync.read(readFileSync(kept));
  const got = PNG.sync.read(actual);
  if (expected.width !== got.width || expected.height !== got.height) {
    writeFileSync(actualFile, actual);
    throw new Error(
      `screenshot ${name} is ${got.width}×${got.height}, the kept one ${expected.width}×${expected.height}: see ${actualFile}`,
    );
  }
  const diff = new PNG({ width: got.width, height: got.height });
  const differing = pixelmatch(expected.data, got.data, diff.data, got.width, got.height, { threshold: 0.1 });
  const share = differing / (got.width * got.height);
  if (share > TOLERATED_SHARE) {
    writeFileSync(actualFile, actual);
    writeFileSync(diffFile, PNG.sync.write(diff));
    throw new Error(
      `screenshot ${name}: ${differing} pixels (${(share * 100).toFixed(2)}%) differ from ${kept}; see ${actualFile} and ${diffFile}. If the change is meant: UPDATE_SCREENSHOTS=1 npx vitest run ${path.relative(process.cwd(), fileURLToPath(import.meta.url)).replace('screenshot-match.ts', '')}`,
    );
  }
}
