import { buildProgram } from '../../src/cli/main.js';

export interface CliRunner {
  /** Runs `syncwarden …args` in-process and returns what it printed, one line per output call. */
  run(...args: string[]): Promise<string>;
  /** The exit code the last run asked for (0 when it asked for none). */
  readonly exitCode: number;
}

/**
 * The `syncwarden` command as the CLI tests run it: in-process, with the environment the test
 * gives (evaluated per run, so a test can point it at a data directory made in `beforeAll`).
 */
export function cliRunner(env: () => Record<string, string | undefined>): CliRunner {
  let exitCode = 0;
  return {
    get exitCode() {
      return exitCode;
    },
    async run(...args: string[]) {
      const lines: string[] = [];
      exitCode = 0;
      await buildProgram(env(), (l) => lines.push(l), (c) => {
        exitCode = c;
      }).parseAsync(['node', 'syncwarden', ...args]);
      return lines.join('\n');
    },
  };
}
