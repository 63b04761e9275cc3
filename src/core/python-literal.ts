// The small subset of Python literal syntax (what `repr` writes and `ast.literal_eval` reads) that Barman stores
// in backup.info: strings, integers, None, True/False, lists and tuples.
import { excerpt } from './untrusted-text';

export type PythonValue = string | number | boolean | null | PythonValue[];

const SIMPLE_ESCAPES = new Map<string, string>([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['v', '\v'],
]);

/** Parses one Python literal; tuples come back as arrays. Throws on anything else. */
export function parsePythonLiteral(text: string): PythonValue {
  const parser = new LiteralParser(text);
  const value = parser.value();
  parser.end();
  return value;
}

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  value(): PythonValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "'" || c === '"') return this.string(c);
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    const word = /^(?:-?\d+L?|None|True|False)/.exec(this.text.slice(this.pos));
    if (!word) this.fail('expected a string, number, None, list or tuple');
    this.pos += word[0].length;
    if (word[0] === 'None') return null;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    const n = Number(word[0].replace(/L$/, ''));
    if (!Number.isSafeInteger(n)) this.fail(`integer ${excerpt(word[0])} is too large`);
    return n;
  }

  end(): void {
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the value');
  }

  private sequence(close: ']' | ')'): PythonValue[] {
    this.pos += 1;
    const items: PythonValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos += 1;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos += 1;
      else if (this.text[this.pos] !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  private string(quote: string): string {
    this.pos += 1;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated string');
      this.pos += 1;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos];
      if (e === undefined) this.fail('unterminated string');
      this.pos += 1;
      if (SIMPLE_ESCAPES.has(e)) out += SIMPLE_ESCAPES.get(e);
      else if (/[0-7]/.test(e)) out += this.octal();
      else if (e === 'x') out += this.codePoint(2);
      else if (e === 'u') out += this.codePoint(4);
      else if (e === 'U') out += this.codePoint(8);
      else out += `\\${e}`; // Python keeps unknown escapes as written.
    }
  }

  private codePoint(digits: number): string {
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) this.fail('bad escape in string');
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) this.fail('bad escape in string');
    this.pos += digits;
    return String.fromCodePoint(code);
  }

  private octal(): string {
    const digits = /^[0-7]{1,3}/.exec(this.text.slice(this.pos - 1))![0];
    this.pos += digits.length - 1;
    return String.fromCharCode(parseInt(digits, 8));
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos += 1;
  }

  private fail(why: string): never {
    throw new PythonLiteralError(why, this.pos + 1, this.text);
  }
}

/** What could not be read, and where; the message quotes at most an excerpt of the text. */
export class PythonLiteralError extends SyntaxError {
  constructor(
    readonly why: string,
    /** 1-based. */
    readonly position: number,
    text: string,
  ) {
    super(`${why} at character ${position} of ${excerpt(text)}`);
    this.name = 'PythonLiteralError';
  }
}
