// Which destination paths a restore accepts, by their characters. Barman writes the destination, as it
// is, into restore_command and recovery_end_command (`cp <dest>/barman_wal/%f %p`, seen with Barman
// 3.19.1), which PostgreSQL runs through a shell and reads as quoted configuration values: a quote breaks
// the configuration, a space splits the command, and `$(...)` or backticks would run as the postgres
// user. So only characters that neither a shell nor PostgreSQL (`%` escapes in restore_command) treat
// specially pass: letters and digits of any script, and . _ - + , @ = : /
import { FailureTypes, RestoreError } from '../shared';

const ALLOWED = /^[\p{L}\p{N}._\-+,@=:/]$/u;

const NAMES: Record<string, string> = {
  ' ': 'space',
  '\t': 'tab',
  '\n': 'newline',
  '\r': 'carriage return',
  "'": "' (single quote)",
  '"': '" (double quote)',
  '\\': '\\ (backslash)',
  '`': '` (backtick)',
  $: '$ (dollar)',
  '%': '% (percent)',
};

export class UnsafeDestinationNameError extends RestoreError {
  constructor(
    readonly destination: string,
    readonly characters: string[],
  ) {
    super(
      FailureTypes.InvalidDestination,
      `destination ${JSON.stringify(destination)} contains ${characters.join(', ')}: Barman writes the destination into restore_command, ` +
        'which PostgreSQL runs through a shell, so such a name would break the recovery or run a command. ' +
        'Use letters, digits and . _ - + , @ = : / only, e.g. /var/lib/postgresql/restored-2026-11-24',
    );
    this.name = 'UnsafeDestinationNameError';
  }
}

/** The characters of `destination` a shell or a PostgreSQL setting would interpret, each named once, in order. */
export function unsafeDestinationCharacters(destination: string): string[] {
  const found: string[] = [];
  for (const char of destination) {
    if (ALLOWED.test(char)) continue;
    const name = NAMES[char] ?? `${JSON.stringify(char)} (U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
    if (!found.includes(name)) found.push(name);
  }
  return found;
}

export function assertShellSafeDestination(destination: string): void {
  const characters = unsafeDestinationCharacters(destination);
  if (characters.length > 0) throw new UnsafeDestinationNameError(destination, characters);
}
