// A hand-written PromQL reader (tokenizer + precedence climbing) for the queries dashboards send,
// ~10x faster than the grammar's LR parse (@prometheus-io/lezer-promql), which was most of the cost
// of a query the rewriter had never seen, and ran twice per query (the caller's text and our
// printed text, re-read to verify it).
//
// Its one promise: for a query it reads, it builds exactly the tree promql.ts builds from the
// grammar (node for node; the differential tests in scope-proxy/test/fast-parser.test.ts hold it
// to that over the dashboards' queries and generated ones); anything else it *declines*
// (returns undefined) and the grammar decides, refusal and message included. So it can never
// accept what the grammar path refuses, and being unsure is always safe: it declines on
//   - two signs in a row (`- -2`), and a comment between a sign and its number;
//   - a postfix modifier (range, subquery, offset, @) on an operand that a tighter operator then
//     continues (`a + b[5m] * c`): the grammar applies postfix modifiers to everything before
//     them, promql.ts then pushes them to the rightmost operand;
//   - aggregations, functions and `start()`/`end()` in another case than lower case (`SUM`),
//     keywords and function names used as metric or label names, unknown functions;
//   - anything the grammar path would refuse (bad durations, numbers like `1_000` or `5m` in an
//     expression, `</`, fill(), duration arithmetic, unterminated or multi-line strings, label
//     names outside [a-zA-Z_][a-zA-Z0-9_]*, a wrong number of aggregation arguments, `bool` on
//     a set operator, offset or @ given twice or on what they cannot follow), whitespace other
//     than space, tab and line breaks, and trees deeper than it bothers to read.
import { decodeString, type Expr, type Grouping, type MatchOp, type Matcher, type VectorMatching } from './promql.ts';
import { AGGREGATIONS, ALLOWED_FUNCTIONS, PARAM_AGGREGATIONS } from './promql-words.ts';

// Token kinds (typed `number`: the reader compares its current kind again after advancing).
const EOF: number = 0;
const IDENT: number = 1;
const NUMBER: number = 2;
const DURATION: number = 3;
const STRING: number = 4;
const LPAREN: number = 5;
const RPAREN: number = 6;
const LBRACE: number = 7;
const RBRACE: number = 8;
const LBRACKET: number = 9;
const RBRACKET: number = 10;
const COMMA: number = 11;
const COLON: number = 12;
const AT: number = 13;
const ADD: number = 14;
const SUB: number = 15;
const MUL: number = 16;
const DIV: number = 17;
const MOD: number = 18;
const POW: number = 19;
const EQLC: number = 20; // ==
const NEQ: number = 21; // !=
const LTE: number = 22;
const LSS: number = 23;
const GTE: number = 24;
const GTR: number = 25;
const EQL: number = 26; // =
const EQL_REGEX: number = 27; // =~
const NEQ_REGEX: number = 28; // !~

/** Thrown (never a real Error: no stack to capture) when the fast reader declines a query. */
const DECLINE = { declined: true } as const;

function decline(): never {
  throw DECLINE;
}

// Precedence, lowest first (Prometheus: or < and/unless < comparisons < +,- < *,/,%,atan2 < ^).
const PREC_OR = 1;
const PREC_AND = 2;
const PREC_CMP = 3;
const PREC_ADD = 4;
const PREC_MUL = 5;
const PREC_POW = 6;

const OP_TEXT: Record<number, string> = {
  [ADD]: '+',
  [SUB]: '-',
  [MUL]: '*',
  [DIV]: '/',
  [MOD]: '%',
  [POW]: '^',
  [EQLC]: '==',
  [NEQ]: '!=',
  [LTE]: '<=',
  [LSS]: '<',
  [GTE]: '>=',
  [GTR]: '>',
};
const OP_PREC: Record<number, number> = {
  [ADD]: PREC_ADD,
  [SUB]: PREC_ADD,
  [MUL]: PREC_MUL,
  [DIV]: PREC_MUL,
  [MOD]: PREC_MUL,
  [POW]: PREC_POW,
  [EQLC]: PREC_CMP,
  [NEQ]: PREC_CMP,
  [LTE]: PREC_CMP,
  [LSS]: PREC_CMP,
  [GTE]: PREC_CMP,
  [GTR]: PREC_CMP,
};
const WORD_OPS: Record<string, number> = { and: PREC_AND, unless: PREC_AND, or: PREC_OR, atan2: PREC_MUL };

/** Keywords the grammar reads whatever their case (its keyword table lower-cases the word first). */
const ANY_CASE = new Set([
  'bool',
  'ignoring',
  'on',
  'group_left',
  'group_right',
  'offset',
  'by',
  'without',
  'and',
  'or',
  'unless',
  'atan2',
]);

/**
 * Every word the grammar may read as something other than a name (its keywords, contextual
 * keywords and function names, whatever their case): as a metric or label name, or in another
 * case than the one we read, the fast reader declines.
 */
const RESERVED = new Set([
  ...AGGREGATIONS,
  ...ALLOWED_FUNCTIONS,
  'inf',
  'nan',
  ...ANY_CASE,
  'start',
  'end',
  'smoothed',
  'anchored',
  'fill',
  'fill_left',
  'fill_right',
  'info',
  'histogram_quantiles',
  'ts_of_first_over_time',
  'ts_of_max_over_time',
  'ts_of_min_over_time',
  'ts_of_last_over_time',
  'range',
  'step',
  'start_timestamp',
  'min_of',
  'max_of',
]);

const NUMBER_TEXT = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$|^0x[0-9a-fA-F]+$/;
const DURATION_TEXT = /^(?=\d)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// How far the fast reader goes before leaving a query to the grammar path (which has its own,
// larger bounds): nesting of brackets and calls, and nodes in the tree (a bound on its depth).
const MAX_NESTING = 200;
const MAX_NODES = 1500;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

class FastReader {
  private pos = 0;
  /** The current token: kind, [start, end). */
  private kind = EOF;
  private start = 0;
  private end = 0;
  private nesting = 0;
  private nodes = 0;
  /** Whether the operand read last ended with a postfix modifier. */
  private tailPostfix = false;

  constructor(private readonly src: string) {
    this.advance();
  }

  /** The whole query as one expression, or a decline. */
  read(): Expr {
    const expr = this.expr(0, false);
    if (this.kind !== EOF) decline();
    return expr;
  }

  private text(): string {
    return this.src.slice(this.start, this.end);
  }

  /** Reads the next token into kind/start/end, skipping spaces, tabs, line breaks and comments. */
  private advance(): void {
    const src = this.src;
    const n = src.length;
    let i = this.pos;
    for (;;) {
      if (i >= n) {
        this.kind = EOF;
        this.start = this.end = this.pos = n;
        return;
      }
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else if (c === 35) {
        // `#` comment to the end of the line.
        while (i < n && src.charCodeAt(i) !== 10) i++;
      } else break;
    }
    this.start = i;
    const c = src.charCodeAt(i);
    const next = i + 1 < n ? src.charCodeAt(i + 1) : -1;
    let kind: number;
    let end = i + 1;
    // `:` starts a name for the grammar too, but only the subquery's colon does so here: a metric
    // name beginning with `:` is left to the grammar.
    if (isIdentStart(c) && c !== 58) {
      while (end < n && isIdentPart(src.charCodeAt(end))) end++;
      kind = IDENT;
    } else if (isDigit(c) || (c === 46 && isDigit(next))) {
      // A number or a duration: the whole run of letters, digits, `_` and `.` (and an exponent's
      // sign), then classified strictly; anything else in the run declines.
      const hex = c === 48 && (next === 120 || next === 88);
      while (end < n) {
        const d = src.charCodeAt(end);
        if (isIdentPart(d) && d !== 58) end++;
        else if (d === 46) end++;
        else if ((d === 43 || d === 45) && !hex && (src.charCodeAt(end - 1) | 0x20) === 101) end++;
        else break;
      }
      const word = src.slice(i, end);
      if (NUMBER_TEXT.test(word)) kind = NUMBER;
      else if (DURATION_TEXT.test(word)) kind = DURATION;
      else decline();
    } else if (c === 34 || c === 39) {
      // "…" or '…': escapes skip one character; a line break or no closing quote declines.
      while (end < n) {
        const d = src.charCodeAt(end);
        if (d === c) break;
        if (d === 10 || d === 13) decline();
        end += d === 92 ? 2 : 1;
      }
      if (end >= n) decline();
      end++;
      kind = STRING;
    } else if (c === 96) {
      while (end < n && src.charCodeAt(end) !== 96) end++;
      if (end >= n) decline();
      end++;
      kind = STRING;
    } else {
      switch (c) {
        case 40:
          kind = LPAREN;
          break;
        case 41:
          kind = RPAREN;
          break;
        case 123:
          kind = LBRACE;
          break;
        case 125:
          kind = RBRACE;
          break;
        case 91:
          kind = LBRACKET;
          break;
        case 93:
          kind = RBRACKET;
          break;
        case 44:
          kind = COMMA;
          break;
        case 58:
          kind = COLON;
          break;
        case 64:
          kind = AT;
          break;
        case 43:
          kind = ADD;
          break;
        case 45:
          kind = SUB;
          break;
        case 42:
          kind = MUL;
          break;
        case 47:
          kind = DIV;
          break;
        case 37:
          kind = MOD;
          break;
        case 94:
          kind = POW;
          break;
        case 61: // = == =~
          kind = next === 61 ? EQLC : next === 126 ? EQL_REGEX : EQL;
          if (kind !== EQL) end++;
          break;
        case 33: // != !~
          if (next !== 61 && next !== 126) decline();
          kind = next === 61 ? NEQ : NEQ_REGEX;
          end++;
          break;
        case 60: // < <= (and the grammar's `</`, which we do not read)
          if (next === 47) decline();
          kind = next === 61 ? LTE : LSS;
          if (kind === LTE) end++;
          break;
        case 62: // > >= >/
          if (next === 47) decline();
          kind = next === 61 ? GTE : GTR;
          if (kind === GTE) end++;
          break;
        default:
          decline();
      }
    }
    this.kind = kind;
    this.end = end;
    this.pos = end;
  }

  private expect(kind: number): void {
    if (this.kind !== kind) decline();
    this.advance();
  }

  /** The current identifier as a word we may read: declines reserved words in another case. */
  private word(): string {
    const w = this.text();
    const lower = w.toLowerCase();
    if (lower === w) return w;
    // The grammar reads these keywords in any case (`AND`, `By`, `OFFSET`), as the same keyword.
    if (ANY_CASE.has(lower)) return lower;
    if (RESERVED.has(lower) && lower !== 'inf' && lower !== 'nan') decline();
    return w;
  }

  private node(): void {
    if (++this.nodes > MAX_NODES) decline();
  }

  /** The binary operator at the current token (its precedence, 0 when none) and its text. */
  private binaryOp(): { prec: number; op: string } | undefined {
    const k = this.kind;
    if (k === IDENT) {
      const w = this.word();
      const prec = WORD_OPS[w];
      return prec === undefined ? undefined : { prec, op: w };
    }
    const prec = OP_PREC[k];
    return prec === undefined ? undefined : { prec, op: OP_TEXT[k]! };
  }

  /**
   * Precedence climbing. `nested`: this call reads an operand of an operator to its left (or of a
   * unary sign); there, an operand ending with a postfix modifier may not be continued by another
   * operator (the grammar would have closed the expression at the modifier).
   */
  private expr(minPrec: number, nested: boolean): Expr {
    let lhs = this.unary();
    for (;;) {
      const found = this.binaryOp();
      if (found === undefined || found.prec < minPrec) return lhs;
      if (nested && this.tailPostfix) decline();
      this.advance();
      const { op, prec } = found;
      let bool = false;
      let matching: VectorMatching | undefined;
      if (this.kind === IDENT && this.word() === 'bool') {
        if (prec === PREC_AND || prec === PREC_OR) decline();
        bool = true;
        this.advance();
      }
      if (this.kind === IDENT) {
        const w = this.word();
        if (w === 'on' || w === 'ignoring') {
          this.advance();
          matching = { on: w === 'on', labels: this.labelList(), include: [] };
          if (this.kind === IDENT) {
            const g = this.word();
            if (g === 'group_left' || g === 'group_right') {
              this.advance();
              matching.group = g === 'group_left' ? 'left' : 'right';
              if (this.kind === LPAREN) matching.include = this.labelList();
            }
          }
        }
      }
      // ^ is right-associative; the others left.
      const rhs = this.expr(prec === PREC_POW ? prec : prec + 1, true);
      this.node();
      const result: Expr = { kind: 'binary', op, lhs, rhs, bool };
      if (matching) result.matching = matching;
      lhs = result;
    }
  }

  private unary(): Expr {
    if (this.kind === SUB || this.kind === ADD) {
      const op = this.kind === SUB ? '-' : '+';
      const signEnd = this.end;
      this.advance();
      // A sign over a number is a sign over the number, as the grammar path builds it (promql.ts
      // literal()); it refuses a comment between them ("comment inside a number"), and reads
      // `- -2` its own way: left to it.
      if (this.kind === SUB || this.kind === ADD || this.kind === DURATION) decline();
      if (this.start > signEnd && this.src.slice(signEnd, this.start).includes('#')) decline();
      if (++this.nesting > MAX_NESTING) decline();
      const operand = this.expr(PREC_POW, true);
      this.nesting--;
      this.node();
      return { kind: 'unary', op, expr: operand };
    }
    return this.postfix(this.primary());
  }

  private primary(): Expr {
    this.tailPostfix = false;
    this.node();
    switch (this.kind) {
      case NUMBER: {
        const text = this.text();
        this.advance();
        return { kind: 'number', text };
      }
      case STRING: {
        const value = decodeString(this.text());
        this.advance();
        return { kind: 'string', value };
      }
      case LPAREN: {
        this.advance();
        if (++this.nesting > MAX_NESTING) decline();
        const inner = this.expr(0, false);
        this.nesting--;
        this.expect(RPAREN);
        this.tailPostfix = false;
        return { kind: 'paren', expr: inner };
      }
      case LBRACE:
        return { kind: 'selector', matchers: this.matchers([]) };
      case IDENT:
        return this.named();
      default:
        decline();
    }
  }

  /** An identifier in operand position: Inf/NaN, a call, an aggregation or a metric name. */
  private named(): Expr {
    const w = this.word();
    const lower = w.toLowerCase();
    if (lower === 'inf' || lower === 'nan') {
      this.advance();
      if (this.kind === LBRACE || this.kind === LPAREN) decline();
      return { kind: 'number', text: w };
    }
    this.advance();
    if (AGGREGATIONS.has(w)) return this.aggregate(w);
    if (this.kind === LPAREN) {
      if (!ALLOWED_FUNCTIONS.has(w)) decline();
      return { kind: 'call', fn: w, args: this.args() };
    }
    if (RESERVED.has(lower)) decline();
    const matchers: Matcher[] = [{ name: '__name__', op: '=', value: w }];
    return { kind: 'selector', matchers: this.kind === LBRACE ? this.matchers(matchers) : matchers };
  }

  private aggregate(op: string): Expr {
    let grouping: Grouping | undefined;
    if (this.kind === IDENT) grouping = this.groupingClause();
    if (this.kind !== LPAREN) decline();
    const args = this.args();
    if (grouping === undefined && this.kind === IDENT) {
      const w = this.word();
      if (w === 'by' || w === 'without') grouping = this.groupingClause();
    }
    const wanted = PARAM_AGGREGATIONS.has(op) ? 2 : 1;
    if (args.length !== wanted) decline();
    const result: Expr =
      wanted === 2 ? { kind: 'aggregate', op, param: args[0]!, expr: args[1]! } : { kind: 'aggregate', op, expr: args[0]! };
    if (grouping) result.grouping = grouping;
    this.tailPostfix = false;
    return result;
  }

  private groupingClause(): Grouping {
    const w = this.word();
    if (w !== 'by' && w !== 'without') decline();
    this.advance();
    return { without: w === 'without', labels: this.labelList() };
  }

  /** `(a, b, "c")`, a trailing comma allowed (as the grammar does). */
  private labelList(): string[] {
    this.expect(LPAREN);
    const labels: string[] = [];
    while (this.kind !== RPAREN) {
      labels.push(this.labelName());
      if (this.kind === COMMA) this.advance();
      else if (this.kind !== RPAREN) decline();
    }
    this.advance();
    return labels;
  }

  private labelName(): string {
    let name: string;
    if (this.kind === IDENT) {
      name = this.text();
      if (RESERVED.has(name.toLowerCase())) decline();
    } else if (this.kind === STRING) name = decodeString(this.text());
    else decline();
    if (!LABEL_NAME.test(name)) decline();
    this.advance();
    return name;
  }

  /** `(expr, expr, …)` of a call or aggregation (no trailing comma). */
  private args(): Expr[] {
    this.expect(LPAREN);
    if (++this.nesting > MAX_NESTING) decline();
    const args: Expr[] = [];
    if (this.kind !== RPAREN) {
      for (;;) {
        args.push(this.expr(0, false));
        if (this.kind === COMMA) this.advance();
        else break;
      }
    }
    this.nesting--;
    this.expect(RPAREN);
    this.tailPostfix = false;
    return args;
  }

  /** `{…}`: label matchers and quoted metric names, appended to `matchers`. */
  private matchers(matchers: Matcher[]): Matcher[] {
    this.expect(LBRACE);
    while (this.kind !== RBRACE) {
      let name: string;
      if (this.kind === STRING) {
        const quoted = decodeString(this.text());
        this.advance();
        if (this.kind === COMMA || this.kind === RBRACE) {
          // `{"metric.name"}`: a quoted metric name (Prometheus 3).
          matchers.push({ name: '__name__', op: '=', value: quoted });
          if (this.kind === COMMA) this.advance();
          continue;
        }
        if (!LABEL_NAME.test(quoted)) decline();
        name = quoted;
      } else if (this.kind === IDENT) {
        name = this.text();
        if (!LABEL_NAME.test(name) || RESERVED.has(name.toLowerCase())) decline();
        this.advance();
      } else decline();
      let op: MatchOp;
      switch (this.kind) {
        case EQL:
          op = '=';
          break;
        case NEQ:
          op = '!=';
          break;
        case EQL_REGEX:
          op = '=~';
          break;
        case NEQ_REGEX:
          op = '!~';
          break;
        default:
          decline();
      }
      this.advance();
      if (this.kind !== STRING) decline();
      matchers.push({ name, op, value: decodeString(this.text()) });
      this.advance();
      if (this.kind === COMMA) this.advance();
      else if (this.kind !== RBRACE) decline();
    }
    this.advance();
    return matchers;
  }

  /** Range, subquery, offset and @ after an operand, with the grammar path's rules. */
  private postfix(operand: Expr): Expr {
    let expr = operand;
    for (;;) {
      if (this.kind === LBRACKET) {
        if (expr.kind === 'number' || expr.kind === 'string') decline();
        this.advance();
        const range = this.duration();
        if (this.kind === RBRACKET) {
          if (expr.kind !== 'selector' || expr.range !== undefined || expr.offset !== undefined || expr.at !== undefined) decline();
          this.advance();
          expr = { ...expr, range };
        } else {
          this.expect(COLON);
          let step: string | undefined;
          if (this.kind !== RBRACKET) step = this.duration();
          this.expect(RBRACKET);
          this.node();
          expr = step === undefined ? { kind: 'subquery', expr, range } : { kind: 'subquery', expr, range, step };
        }
      } else if (this.kind === IDENT && this.text().toLowerCase() === 'offset') {
        this.word();
        if (expr.kind !== 'selector' && expr.kind !== 'subquery') decline();
        if (expr.offset !== undefined) decline();
        this.advance();
        let sign = '';
        if (this.kind === SUB || this.kind === ADD) {
          sign = this.kind === SUB ? '-' : '';
          this.advance();
        }
        expr = { ...expr, offset: sign + this.duration() };
      } else if (this.kind === AT) {
        if (expr.kind !== 'selector' && expr.kind !== 'subquery') decline();
        if (expr.at !== undefined) decline();
        this.advance();
        let at: string;
        if (this.kind === NUMBER) {
          at = this.text();
          this.advance();
        } else if (this.kind === IDENT && (this.text() === 'start' || this.text() === 'end')) {
          at = `${this.text()}()`;
          this.advance();
          this.expect(LPAREN);
          this.expect(RPAREN);
        } else decline();
        expr = { ...expr, at };
      } else break;
      this.tailPostfix = true;
    }
    return expr;
  }

  private duration(): string {
    if (this.kind !== DURATION) decline();
    const text = this.text();
    this.advance();
    return text;
  }
}

/** The query's tree, exactly as the grammar path would build it, or undefined (left to the grammar). */
export function readFast(source: string): Expr | undefined {
  try {
    return new FastReader(source).read();
  } catch (error) {
    if (error === DECLINE) return undefined;
    // A string the reader took for a literal but decoding refused, or any other surprise: the
    // grammar path reads it from scratch and answers.
    return undefined;
  }
}
