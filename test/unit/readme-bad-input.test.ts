// The README's table of refused inputs ("## What is refused, and the error you get") must keep saying what
// the code says. Every row's error type must be a failure type of src/shared.ts (or `usage`, `worker exits`),
// and every row's message must still be built by the code under src/: its text between the `…` (which stand
// for a value or a part left out) is made of the string and template literals of src/*.ts, read with the
// TypeScript parser, as the code joins them: a literal's end, then whole literals, then a literal's start.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { FailureTypes } from '../../src/shared';
import { REPO_ROOT } from '../support/stack-env';

const SECTION = '## What is refused, and the error you get';
/** Error types that are not failure types: the CLI's bad usage (exit 2), and settings that stop the worker at start. */
const OTHER_TYPES = ['usage', 'worker exits'];
const MIN_ROWS = 30;

interface BadInputRow {
  line: number;
  input: string;
  type: string;
  message: string;
}

/** The rows of the section's table: input, error type (its first code span), message (its code span, unescaped). */
function readBadInputTable(readme: string): BadInputRow[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(SECTION);
  assert.ok(start >= 0, `README.md has the section "${SECTION}"`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  const rows: BadInputRow[] = [];
  for (let i = start + 1; i < (end < 0 ? lines.length : end); i++) {
    const line = lines[i];
    if (!line.startsWith('|') || /^\|\s*-/.test(line) || /^\|\s*bad input\s*\|/i.test(line)) continue;
    const cells = splitRow(line);
    assert.equal(cells.length, 3, `README.md line ${i + 1}: a row has three cells (bad input, error, message): ${line}`);
    rows.push({ line: i + 1, input: cells[0], type: codeSpans(cells[1])[0] ?? cells[1], message: codeSpans(cells[2]).join(' … ') });
  }
  return rows;
}

/** Cells of a Markdown table row; `\|` is a pipe inside a cell. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 1; i < line.length; i++) {
    if (line[i] === '\\' && line[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (line[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += line[i];
  }
  return cells;
}

/** The contents of the code spans of a cell (`x` or ``x with ` in it``). */
function codeSpans(cell: string): string[] {
  const spans: string[] = [];
  const pattern = /(`+)([\s\S]*?[^`])\1(?!`)/g;
  for (let m = pattern.exec(cell); m; m = pattern.exec(cell)) {
    const text = m[2];
    spans.push(m[1].length > 1 && text.startsWith(' ') && text.endsWith(' ') ? text.slice(1, -1) : text);
  }
  return spans;
}

/** Every string literal, template piece (between `${...}`) of the TypeScript files under `dir`, as the program sees them. */
function sourceLiterals(dir: string): Set<string> {
  const literals = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) literals.add(node.text);
    else if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) literals.add(node.text);
    ts.forEachChild(node, visit);
  };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    visit(ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true));
  }
  literals.delete('');
  return literals;
}

/**
 * Whether `text` can be made of source literals as code joins them: all of it inside one literal, or the end
 * of a literal, then whole literals, then the start of a literal, each piece at least two characters (so that
 * a plural 's' or a lone '.' cannot stand in for a value the code does not write).
 */
function madeOfLiterals(text: string, literals: Set<string>): boolean {
  const all = [...literals];
  if (all.some((l) => l.includes(text))) return true;
  // reachable[i]: text[0..i) is the end of a literal followed by whole literals.
  const reachable = new Array<boolean>(text.length + 1).fill(false);
  for (let i = 2; i <= text.length; i++) {
    const head = text.slice(0, i);
    if (all.some((l) => l.endsWith(head))) reachable[i] = true;
  }
  for (let i = 2; i < text.length; i++) {
    if (!reachable[i]) continue;
    const rest = text.slice(i);
    if (rest.length >= 2 && all.some((l) => l.startsWith(rest))) return true;
    for (const l of all) if (l.length >= 2 && text.startsWith(l, i)) reachable[i + l.length] = true;
  }
  return reachable[text.length];
}

/** The parts of a message between its `…`, without the quotes and punctuation that touch a `…`. */
function messageFragments(message: string): string[] {
  return message
    .split('…')
    .map((part) => part.replace(/^[\s"'(),.:;]+|[\s"'(),.:;]+$/g, ''))
    .filter((part) => part !== '');
}

describe('README: what is refused, and the error you get', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const rows = readBadInputTable(readme);
  const literals = sourceLiterals(join(REPO_ROOT, 'src'));

  it(`lists at least ${MIN_ROWS} bad inputs, each once, each with an error type and a message`, () => {
    assert.ok(rows.length >= MIN_ROWS, `${rows.length} rows`);
    const inputs = rows.map((r) => r.input);
    assert.deepEqual(inputs.filter((input, i) => inputs.indexOf(input) !== i), [], 'no input is listed twice');
    for (const row of rows) {
      assert.ok(row.input !== '', `line ${row.line}: the bad input is given`);
      assert.ok(
        messageFragments(row.message).some((f) => f.length >= 12),
        `line ${row.line}: the message quotes the error's words (a code span with at least 12 characters between its …): ${row.message}`,
      );
    }
  });

  it('names a failure type the code has (or usage / worker exits) for every row', () => {
    const types = new Set<string>([...Object.values(FailureTypes), ...OTHER_TYPES]);
    for (const row of rows) assert.ok(types.has(row.type), `line ${row.line}: "${row.type}" is not one of ${[...types].join(', ')}`);
  });

  it("quotes only messages the code under src/ builds, so the table cannot drift from the code", () => {
    const drifted = rows.flatMap((row) =>
      messageFragments(row.message)
        .filter((fragment) => !madeOfLiterals(fragment, literals))
        .map((fragment) => `line ${row.line} (${row.input}): ${JSON.stringify(fragment)}`),
    );
    assert.deepEqual(drifted, [], `message text found in no string of src/ (reword the row, or mark a value with …):\n${drifted.join('\n')}`);
  });

  it('the check itself: finds joined literals, refuses words the code never writes', () => {
    const sample = new Set(['destination ', ' contains ', ': Barman writes the destination into restore_command, ', 'space', 'which PostgreSQL runs through a shell']);
    assert.ok(madeOfLiterals('destination', sample) && madeOfLiterals('contains', sample), 'inside one literal');
    assert.ok(madeOfLiterals('contains space: Barman writes the destination into restore_command, which PostgreSQL', sample));
    assert.ok(madeOfLiterals('Barman writes the destination', sample));
    assert.ok(!madeOfLiterals('contains tab: Barman writes the destination', sample), 'a value the code does not have');
    assert.ok(!madeOfLiterals('contains spaces: Barman writes the destination', new Set([...sample, 's'])), 'a plural s is no piece');
    assert.ok(!madeOfLiterals('Barman writes the target into restore_command', sample), 'reworded text');
    assert.deepEqual(messageFragments('destination "…" contains …: Barman writes the destination, …'), ['destination', 'contains', 'Barman writes the destination']);
    const table = [SECTION, '', '| bad input | error | message |', '|---|---|---|', '| `--a \\| b` | `usage` | ``a `b` c`` … `d` |', '## Next'].join('\n');
    assert.deepEqual(readBadInputTable(table).map(({ input, type, message }) => ({ input, type, message })), [{ input: '`--a | b`', type: 'usage', message: 'a `b` c … d' }]);
  });
});
