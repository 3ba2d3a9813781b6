import { JSON_EXPECTED } from '../constants.js';

/**
 * Where a text stops being JSON, and what was expected there. Node 20's
 * `JSON.parse` names a position for some errors only, and quotes the whole
 * input in others; the CLI runs this after `JSON.parse` failed, to point at
 * the character.
 */
export interface JsonErrorLocation {
  /** Offset in UTF-16 units, 0-based. */
  position: number;
  /** 1-based. */
  line: number;
  column: number;
  /** The character found (quoted) or "the end of the input". */
  found: string;
  expected: string;
}

class Stop {
  constructor(
    readonly position: number,
    readonly expected: string,
  ) {}
}

/** The first syntax error in `text`, or `undefined` when it is JSON (or too deeply nested to scan). */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const fail = (expected: string): never => {
    throw new Stop(i, expected);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const digits = (): void => {
    const start = i;
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
    if (i === start) fail(JSON_EXPECTED.digit);
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= text.length) fail(JSON_EXPECTED.closingQuote);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail(JSON_EXPECTED.noControlCharacter);
      if (c === '\\') {
        i++;
        const escape = text[i];
        if (escape === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/^[0-9a-fA-F]$/.test(text[i] ?? '')) fail(JSON_EXPECTED.unicodeDigit);
          }
        } else if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          fail(JSON_EXPECTED.escape);
        }
      }
      i++;
    }
  };
  const literal = (word: string): void => {
    for (const letter of word) {
      if (text[i] !== letter) fail(JSON_EXPECTED.literal(word));
      i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else fail(JSON_EXPECTED.value);
  };
  const object = (): void => {
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail(JSON_EXPECTED.propertyName);
      string();
      skipSpace();
      if (text[i] !== ':') fail(JSON_EXPECTED.colon);
      i++;
      value();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return;
      } else fail(JSON_EXPECTED.objectNext);
    }
  };
  const array = (): void => {
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === ']') {
        i++;
        return;
      } else fail(JSON_EXPECTED.arrayNext);
    }
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail(JSON_EXPECTED.end);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) return undefined; // a stack overflow: nesting too deep to scan
    const before = text.slice(0, err.position);
    const line = before.split('\n').length;
    const column = err.position - (before.lastIndexOf('\n') + 1) + 1;
    const found = err.position >= text.length ? JSON_EXPECTED.end : JSON.stringify(text[err.position]);
    return { position: err.position, line, column, found, expected: err.expected };
  }
}
