/**
 * The messages the type checker gives for a story's mistakes: `@ts-expect-error` proves that a
 * mistake is refused, and these prove that the refusal says what the mistake is (a misspelt event
 * name is reported as that name, not as a missing `stream`).
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const storyFile = fileURLToPath(new URL('./type-error-story.ts', import.meta.url));

/** Type-checks `body` as a test file next to this one, and returns each error's message. */
function typeErrorsOf(body: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${root}tsconfig.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error('tsconfig.json could not be read');
  const source = `import { Given } from 'omniscient-actors/testing';\nimport { Account, Player } from './story-actors.js';\n${body}\n`;
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (file) => (file === storyFile ? source : readFile(file));
  host.fileExists = (file) => file === storyFile || fileExists(file);
  const program = ts.createProgram({ rootNames: [storyFile], options: config.options, host });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(storyFile))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('the type errors of a story', () => {
  test('name the misspelt event, the wrong data, and the method that is not a command', () => {
    const errors = typeErrorsOf(`
      void Given('a').When(Player, 'Pay', 300).Then([{ name: 'payment_refunded' }]);
      void Given('b').When(Player, 'Pay', 300).Then([{ name: 'life_gained', data: { lives: 'three' } }]);
      void Given('c').When(Player, 'Pay', 300).Then([{ name: 'life_gained', data: { live: 3 } }]);
      void Given('d').When(Player, 'payment_received', { cents: 1, receipt: 'r' });
      void Given('e').WhenLoaded(Account).Then([{ name: 'signed_up' }]);
      void Given('f').When(Player, 'Load');
    `);
    expect(errors).toEqual([
      `Type '"payment_refunded"' is not assignable to type '"payment_received" | "life_gained" | "nickname_chosen"'.`,
      `Type '"three"' is not assignable to type 'Expectation<number>'.`,
      expect.stringMatching(
        /^Object literal may only specify known properties, but 'live' does not exist in type '\{ readonly lives: Expectation<number>; \}'\. Did you mean to write 'lives'\?/,
      ),
      `Argument of type '"payment_received"' is not assignable to parameter of type 'CommandName<Player>'.`,
      `Type '"signed_up"' is not assignable to type '"signup" | "logged_in"'. Did you mean '"signup"'?`,
      `Argument of type '"Load"' is not assignable to parameter of type 'CommandName<Player>'.`,
    ]);
    expect(errors.join('\n')).not.toMatch(/stream/);
  });
});
