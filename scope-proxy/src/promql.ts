// PromQL in and out: the official grammar (@prometheus-io/lezer-promql) turned into a small,
// strict AST, and that AST printed back in one canonical form.
//
// Why our own AST instead of splicing text: the proxy forwards only strings it printed itself,
// from a tree it checked. The grammar is an editor grammar (error-tolerant and looser than
// Prometheus), so conversion refuses error nodes and every construct Prometheus 2.x would reject
// or that we cannot scope (e.g. `info()`, which selects series the query never names).
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { readFast } from './fast-parser.ts';
import { AGGREGATIONS, ALLOWED_FUNCTIONS, PARAM_AGGREGATIONS } from './promql-words.ts';

export { ALLOWED_FUNCTIONS } from './promql-words.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

export interface Grouping {
  without: boolean;
  labels: string[];
}

export interface VectorMatching {
  on: boolean;
  labels: string[];
  group?: 'left' | 'right';
  include: string[];
}

export type Expr =
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'selector'; matchers: Matcher[]; range?: string; offset?: string; at?: string }
  | { kind: 'subquery'; expr: Expr; range: string; step?: string; offset?: string; at?: string }
  | { kind: 'call'; fn: string; args: Expr[] }
  | { kind: 'aggregate'; op: string; param?: Expr; expr: Expr; grouping?: Grouping }
  | { kind: 'binary'; op: string; lhs: Expr; rhs: Expr; bool: boolean; matching?: VectorMatching }
  | { kind: 'unary'; op: '-' | '+'; expr: Expr }
  | { kind: 'paren'; expr: Expr };

/** A query the proxy refuses to read: the message is safe to show the caller. */
export class PromQLError extends Error {
  override name = 'PromQLError';
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
// Prometheus's duration syntax (model.ParseDuration): units in decreasing order, each at most once.
const DURATION = /^(?=\d)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const NUMBER = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+|[iI][nN][fF]|[nN][aA][nN])$/;

const BINARY_OPS: Record<string, string> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Gte: '>=',
  Gtr: '>',
  Lte: '<=',
  Lss: '<',
  Neq: '!=',
  And: 'and',
  Unless: 'unless',
  Or: 'or',
};
const SET_OPS = new Set(['and', 'or', 'unless']);
/** Binding strength of binary operators (Prometheus's: or < and, unless < comparisons < + - < * / % atan2 < ^). */
const PRECEDENCE: Readonly<Record<string, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<=': 3,
  '<': 3,
  '>=': 3,
  '>': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};
/** The grammar's postfix modifiers: range, subquery, offset, @. */
const POSTFIX_NODES = new Set(['MatrixSelector', 'SubqueryExpr', 'OffsetExpr', 'StepInvariantExpr']);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
const OCTAL_DIGIT = /[0-7]/;
const OCTAL_ESCAPE = /^[0-7]{3}$/;
const HEX_ESCAPE: Readonly<Record<string, RegExp>> = { x: /^[0-9a-fA-F]{2}$/, u: /^[0-9a-fA-F]{4}$/, U: /^[0-9a-fA-F]{8}$/ };
// Characters that end the fast path of decodeString: escapes and what a string may not hold.
const NEEDS_SLOW_DECODE = /[\\\n\r]/;

/** Decodes a PromQL string literal the way Prometheus does (Go quoting rules), strictly. */
export function decodeString(text: string): string {
  const quote = text[0];
  if (text.length < 2 || text[text.length - 1] !== quote) throw new PromQLError(`unterminated string ${clip(text)}`);
  const body = text.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`') || body.includes('\r')) throw new PromQLError('malformed raw string');
    return body;
  }
  if (quote !== '"' && quote !== "'") throw new PromQLError(`not a string: ${clip(text)}`);
  // Fast path (almost every label value): no escapes, no newline, no quote inside. The loop below
  // would copy such a body unchanged.
  if (!NEEDS_SLOW_DECODE.test(body) && !body.includes(quote)) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\n' || c === '\r') throw new PromQLError('newline in string');
    if (c === quote) throw new PromQLError('unescaped quote in string');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new PromQLError('dangling escape in string');
    const octal = OCTAL_DIGIT.test(e);
    if (Object.hasOwn(SIMPLE_ESCAPES, e)) out += SIMPLE_ESCAPES[e];
    else if (e === quote) out += quote;
    else if (e === 'x' || e === 'u' || e === 'U' || octal) {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 3;
      const digits = octal ? body.slice(i, i + 3) : body.slice(i + 1, i + 1 + len);
      const valid = octal ? OCTAL_ESCAPE.test(digits) : HEX_ESCAPE[e]!.test(digits);
      if (!valid) throw new PromQLError('bad escape in string');
      const code = parseInt(digits, octal ? 8 : 16);
      // \x and octal escapes are bytes in Go; above 0x7f they could form invalid UTF-8.
      if ((e === 'x' || octal) && code > 0x7f) throw new PromQLError('non-ASCII byte escape in string');
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new PromQLError('invalid code point escape in string');
      out += String.fromCodePoint(code);
      i += octal ? 2 : len;
    } else throw new PromQLError(`unknown escape \\${e} in string`);
  }
  return out;
}

/** A string literal Prometheus reads back as exactly `value` (JSON escapes are Go escapes). */
export function quoteString(value: string): string {
  return JSON.stringify(value);
}

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// How deep the converter, printer and walks may recurse: a node per level, so an honest sum of
// ~1,000 terms fits; brackets are limited separately (checkBrackets).
const MAX_DEPTH = 2500;
const MAX_BRACKET_DEPTH = 500;

class Converter {
  private depth = 0;
  constructor(private readonly source: string) {}

  text(node: SyntaxNode): string {
    return this.source.slice(node.from, node.to);
  }

  children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.name === 'LineComment') continue;
      out.push(child);
    }
    return out;
  }

  fail(node: SyntaxNode, message: string): never {
    throw new PromQLError(`${message} at char ${node.from + 1}: ${clip(this.text(node))}`);
  }

  labelName(node: SyntaxNode): string {
    let name: string;
    if (node.name === 'LabelName') name = this.text(node);
    else if (node.name === 'QuotedLabelName') {
      const literal = node.firstChild;
      if (!literal || literal.name !== 'StringLiteral') this.fail(node, 'bad quoted label name');
      name = decodeString(this.text(literal));
    } else this.fail(node, 'expected a label name');
    if (!LABEL_NAME.test(name)) this.fail(node, `unsupported label name ${JSON.stringify(name)}`);
    return name;
  }

  grouping(node: SyntaxNode): string[] {
    if (node.name !== 'GroupingLabels') this.fail(node, 'expected grouping labels');
    return this.children(node).map((child) => this.labelName(child));
  }

  duration(node: SyntaxNode): string {
    if (node.name !== 'DurationExpr' && node.name !== 'OffsetDurationExpr') this.fail(node, 'expected a duration');
    const kids = this.children(node);
    if (node.name === 'OffsetDurationExpr' && kids.length === 2 && kids[0]!.name === 'UnaryOp') {
      const sign = this.text(kids[0]!);
      const inner = this.duration(kids[1]!);
      if (inner.startsWith('-') || inner.startsWith('+')) this.fail(node, 'repeated sign in offset');
      return sign === '-' ? `-${inner}` : inner;
    }
    if (kids.length !== 1 || kids[0]!.name !== 'NumberDurationLiteralInDurationContext')
      this.fail(node, 'only plain durations like 5m are supported');
    const text = this.text(kids[0]!);
    if (!DURATION.test(text)) this.fail(node, `bad duration ${JSON.stringify(text)}`);
    return text;
  }

  number(node: SyntaxNode): string {
    const raw = this.text(node);
    if (raw.includes('#')) this.fail(node, 'comment inside a number');
    const text = raw.replace(/\s+/g, '');
    if (!NUMBER.test(text)) this.fail(node, `unsupported number ${JSON.stringify(text)}`);
    return text;
  }

  /**
   * A number literal. The grammar reads a sign before a number sometimes as part of the literal
   * (`-2`, `a + -2`) and sometimes as unary minus (`-2 * 3`); both become a sign over the unsigned
   * number here (printed the same: `-2`, or `(-2)` as an operand), so one query always gives one
   * tree, the one the fast reader builds.
   */
  literal(node: SyntaxNode): Expr {
    const text = this.number(node);
    const sign = text[0];
    if (sign === '-' || sign === '+') return { kind: 'unary', op: sign, expr: { kind: 'number', text: text.slice(1) } };
    return { kind: 'number', text };
  }

  expr(node: SyntaxNode): Expr {
    if (++this.depth > MAX_DEPTH) this.fail(node, `query nested deeper than ${MAX_DEPTH} levels`);
    try {
      return this.exprAt(node);
    } finally {
      this.depth--;
    }
  }

  exprAt(node: SyntaxNode): Expr {
    const name = node.name;
    // Leaves and selectors first: they read their own children (no list needed here).
    if (name === 'NumberDurationLiteral') return this.literal(node);
    if (name === 'StringLiteral') return { kind: 'string', value: decodeString(this.text(node)) };
    if (name === 'VectorSelector') return this.selector(node);
    const kids = this.children(node);
    switch (name) {
      case 'ParenExpr':
        if (kids.length !== 1) this.fail(node, 'bad parentheses');
        return { kind: 'paren', expr: this.expr(kids[0]!) };
      case 'UnaryExpr': {
        if (kids.length !== 2 || kids[0]!.name !== 'UnaryOp') this.fail(node, 'bad unary expression');
        const op = this.text(kids[0]!);
        if (op !== '-' && op !== '+') this.fail(node, 'bad unary operator');
        return { kind: 'unary', op, expr: this.expr(kids[1]!) };
      }
      // The grammar gives postfix modifiers ([range], [subquery], offset, @) the lowest
      // precedence, so `a - b offset 1h` arrives as offset(a - b). Prometheus binds them to the
      // nearest operand (yacc: OFFSET and LEFT_BRACKET bind tightest), so we push them down to
      // the rightmost operand, as Prometheus reads it. Explicit parentheses stop the descent.
      case 'MatrixSelector': {
        if (kids.length !== 2) this.fail(node, 'bad range selector');
        const range = this.duration(kids[1]!);
        return this.attach(node, this.expr(kids[0]!), (inner) => {
          if (inner.kind !== 'selector' || inner.range !== undefined || inner.offset !== undefined || inner.at !== undefined)
            this.fail(node, 'ranges are only allowed on a plain vector selector');
          return { ...inner, range };
        });
      }
      case 'SubqueryExpr': {
        if (kids.length < 2 || kids.length > 3) this.fail(node, 'bad subquery');
        const range = this.duration(kids[1]!);
        const step = kids[2] ? this.duration(kids[2]) : undefined;
        return this.attach(node, this.expr(kids[0]!), (inner) =>
          step === undefined ? { kind: 'subquery', expr: inner, range } : { kind: 'subquery', expr: inner, range, step },
        );
      }
      case 'OffsetExpr': {
        if (kids.length !== 3 || kids[1]!.name !== 'Offset') this.fail(node, 'bad offset');
        const offset = this.duration(kids[2]!);
        return this.attach(node, this.expr(kids[0]!), (inner) => {
          if (inner.kind !== 'selector' && inner.kind !== 'subquery') this.fail(node, 'offset must follow a selector or a subquery');
          if (inner.offset !== undefined) this.fail(node, 'offset given twice');
          return { ...inner, offset };
        });
      }
      case 'StepInvariantExpr': {
        if (kids.length !== 3 || kids[1]!.name !== 'At') this.fail(node, 'bad @ modifier');
        let at: string;
        if (kids[2]!.name === 'NumberDurationLiteral') at = this.number(kids[2]!);
        else if (kids[2]!.name === 'AtModifierPreprocessors') {
          const which = this.text(kids[2]!);
          if (which !== 'start' && which !== 'end') this.fail(node, 'bad @ preprocessor');
          at = `${which}()`;
        } else this.fail(node, 'bad @ modifier');
        return this.attach(node, this.expr(kids[0]!), (inner) => {
          if (inner.kind !== 'selector' && inner.kind !== 'subquery') this.fail(node, '@ must follow a selector or a subquery');
          if (inner.at !== undefined) this.fail(node, '@ given twice');
          return { ...inner, at };
        });
      }
      case 'FunctionCall': {
        if (kids.length !== 2 || kids[0]!.name !== 'FunctionIdentifier' || kids[1]!.name !== 'FunctionCallBody')
          this.fail(node, 'bad function call');
        const fn = this.text(kids[0]!);
        if (!ALLOWED_FUNCTIONS.has(fn)) this.fail(node, `function ${fn}() is not allowed through the scope proxy`);
        return { kind: 'call', fn, args: this.children(kids[1]!).map((arg) => this.expr(arg)) };
      }
      case 'AggregateExpr': {
        const opNode = kids.find((k) => k.name === 'AggregateOp');
        const body = kids.find((k) => k.name === 'FunctionCallBody');
        const modifier = kids.find((k) => k.name === 'AggregateModifier');
        if (!opNode || !body || kids.length !== (modifier ? 3 : 2)) this.fail(node, 'bad aggregation');
        const op = this.text(opNode);
        if (!AGGREGATIONS.has(op)) this.fail(node, `aggregation ${op} is not allowed`);
        const args = this.children(body).map((arg) => this.expr(arg));
        const wanted = PARAM_AGGREGATIONS.has(op) ? 2 : 1;
        if (args.length !== wanted) this.fail(node, `${op} takes ${wanted} argument(s)`);
        let grouping: Grouping | undefined;
        if (modifier) {
          const [kw, labels] = this.children(modifier);
          if (!kw || !labels || (kw.name !== 'By' && kw.name !== 'Without')) this.fail(modifier, 'bad grouping');
          grouping = { without: kw.name === 'Without', labels: this.grouping(labels) };
        }
        const result: Expr =
          wanted === 2 ? { kind: 'aggregate', op, param: args[0]!, expr: args[1]! } : { kind: 'aggregate', op, expr: args[0]! };
        if (grouping) result.grouping = grouping;
        return result;
      }
      case 'BinaryExpr':
        return this.binary(node, kids);
      default:
        this.fail(node, `unsupported construct ${node.name}`);
    }
  }

  /** Applies a postfix modifier to the rightmost operand of binary and unary expressions. */
  attach(node: SyntaxNode, inner: Expr, apply: (operand: Expr) => Expr): Expr {
    if (inner.kind === 'binary') return { ...inner, rhs: this.attach(node, inner.rhs, apply) };
    if (inner.kind === 'unary') return { ...inner, expr: this.attach(node, inner.expr, apply) };
    return apply(inner);
  }

  binary(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    if (kids.length < 3) this.fail(node, 'bad binary expression');
    const opNode = kids[1]!;
    const op = BINARY_OPS[opNode.name];
    if (!op) this.fail(opNode, `unsupported operator ${this.text(opNode)}`);
    this.refuseRebinding(kids[0]!, op);
    let bool = false;
    let matching: VectorMatching | undefined;
    for (const modifier of kids.slice(2, -1)) {
      if (modifier.name === 'BoolModifier' && !bool && !matching) bool = true;
      else if (modifier.name === 'MatchingModifierClause' && !matching) {
        const parts = this.children(modifier);
        const kw = parts[0];
        if (!kw || (kw.name !== 'On' && kw.name !== 'Ignoring') || !parts[1]) this.fail(modifier, 'bad vector matching');
        matching = { on: kw.name === 'On', labels: this.grouping(parts[1]), include: [] };
        const group = parts[2];
        if (group) {
          if (group.name !== 'GroupLeft' && group.name !== 'GroupRight') this.fail(modifier, 'bad group modifier');
          matching.group = group.name === 'GroupLeft' ? 'left' : 'right';
          if (parts[3]) matching.include = this.grouping(parts[3]);
          if (parts.length > 4) this.fail(modifier, 'bad vector matching');
        } else if (parts.length > 2) this.fail(modifier, 'bad vector matching');
      } else this.fail(modifier, 'unsupported binary modifier');
    }
    if (bool && SET_OPS.has(op)) this.fail(node, 'bool is not allowed on set operators');
    const lhs = this.expr(kids[0]!);
    const result: Expr = { kind: 'binary', op, lhs, rhs: this.expr(kids[kids.length - 1]!), bool };
    if (matching) result.matching = matching;
    // `-2 ^ 2` is -(2 ^ 2) in Prometheus (unary minus binds looser than ^); the grammar reads a
    // signed literal there.
    if (op === '^' && kids[0]!.name === 'NumberDurationLiteral' && lhs.kind === 'unary') {
      return { kind: 'unary', op: lhs.op, expr: { ...result, lhs: lhs.expr } };
    }
    return result;
  }

  /**
   * The grammar closes the whole expression before a postfix modifier (`a + b offset 1h` is
   * offset(a + b)), so in `a + b offset 1h * c` it reads `(a + (b offset 1h)) * c`, where
   * Prometheus binds the modifier to `b` alone and reads `a + ((b offset 1h) * c)`. The conversion
   * cannot rebuild Prometheus's reading from that tree, so such a query is refused (before, it was
   * forwarded with the grammar's reading: scoped, but not the answer Prometheus gives to the text).
   * The same for a unary sign before `^` (`-a offset 1h ^ b`).
   */
  refuseRebinding(lhs: SyntaxNode, op: string): void {
    let inner: SyntaxNode | null = lhs;
    while (inner && POSTFIX_NODES.has(inner.name)) inner = this.children(inner)[0] ?? null;
    if (!inner || inner === lhs) return;
    let looser = false;
    if (inner.name === 'UnaryExpr') looser = op === '^';
    else if (inner.name === 'BinaryExpr') {
      const innerOp = BINARY_OPS[this.children(inner)[1]?.name ?? ''];
      if (innerOp) looser = PRECEDENCE[innerOp]! < PRECEDENCE[op]! || (innerOp === '^' && op === '^');
    }
    if (looser)
      this.fail(
        lhs,
        `a range, subquery, offset or @ followed by ${op}: Prometheus applies it to the operand just before it; add parentheses to say what it applies to`,
      );
  }

  selector(node: SyntaxNode): Expr & { kind: 'selector' } {
    const matchers: Matcher[] = [];
    for (const child of this.children(node)) {
      if (child.name === 'Identifier') {
        const name = this.text(child);
        if (!METRIC_NAME.test(name)) this.fail(child, 'bad metric name');
        matchers.push({ name: '__name__', op: '=', value: name });
      } else if (child.name === 'LabelMatchers') {
        for (const m of this.children(child)) {
          if (m.name === 'QuotedLabelName') {
            // `{"metric_name"}`: a quoted metric name (Prometheus 3 syntax).
            const value = decodeString(this.text(m.firstChild ?? m));
            matchers.push({ name: '__name__', op: '=', value });
            continue;
          }
          if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') this.fail(m, 'bad label matcher');
          const [nameNode, opNode, valueNode] = this.children(m);
          if (!nameNode || !opNode || !valueNode || opNode.name !== 'MatchOp' || valueNode.name !== 'StringLiteral')
            this.fail(m, 'bad label matcher');
          const op = this.text(opNode) as MatchOp;
          if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') this.fail(opNode, 'bad match operator');
          matchers.push({ name: this.labelName(nameNode), op, value: decodeString(this.text(valueNode)) });
        }
      } else this.fail(child, 'bad selector');
    }
    return { kind: 'selector', matchers };
  }
}

const STRING_LITERAL = parser.nodeSet.types.find((type) => type.name === 'StringLiteral')!.id;

/** Refuses a tree with error nodes; returns the [from, to) of every string literal in it. */
function checkTree(source: string, top: SyntaxNode): number[] {
  const literals: number[] = [];
  const cursor = top.cursor();
  do {
    if (cursor.type.isError) {
      throw new PromQLError(
        `syntax error at char ${cursor.from + 1}: ${clip(source.slice(Math.max(0, cursor.from - 10), cursor.from + 20)) || 'end of query'}`,
      );
    }
    if (cursor.type.id === STRING_LITERAL) literals.push(cursor.from, cursor.to);
  } while (cursor.next());
  return literals;
}

/**
 * A linear scan before the grammar sees the text: brackets must pair up and nest at most
 * MAX_BRACKET_DEPTH deep (strings and comments skipped). The grammar's error recovery is what is slow on
 * garbage (32 KB of `}` took 1–2.5 s of the event loop), and garbage is mostly unbalanced.
 */
export function checkBrackets(source: string): void {
  scanQuery(source);
}

/**
 * checkBrackets, also returning where the string literals are ([from, to) of each whole literal,
 * quotes included), or undefined when a literal is not plain (escapes, line breaks, unterminated):
 * only queries whose literals are all plain have a shape (treeFor). In the same pass it hashes the
 * shape (FNV-1a over the text outside literal bodies and each body's length) into scannedHash.
 */
function scanQuery(source: string): number[] | undefined {
  const open: number[] = [];
  let spans: number[] | undefined = [];
  let h = 2166136261;
  const n = source.length;
  for (let i = 0; i < n; i++) {
    const c = source.charCodeAt(i);
    h = Math.imul(h ^ c, 16777619);
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE || c === BACKTICK) {
      // Skip the string; an unterminated one is left to the grammar (it fails fast on those).
      let j = i + 1;
      let plain = true;
      while (j < n) {
        const d = source.charCodeAt(j);
        if (d === c) break;
        if (d === BACKSLASH || d === NEWLINE || d === CARRIAGE_RETURN) plain = false;
        j += c !== BACKTICK && d === BACKSLASH ? 2 : 1;
      }
      if (plain && j < n) {
        spans?.push(i, j + 1);
        h = Math.imul(h ^ (0x10000 + j - i - 1), 16777619);
      } else spans = undefined;
      i = j;
    } else if (c === HASH) {
      while (i + 1 < n && source.charCodeAt(i + 1) !== NEWLINE) h = Math.imul(h ^ source.charCodeAt(++i), 16777619);
    } else if (c === OPEN_PAREN || c === OPEN_BRACKET || c === OPEN_BRACE) {
      open.push(c);
      if (open.length > MAX_BRACKET_DEPTH) throw new PromQLError(`query nested deeper than ${MAX_BRACKET_DEPTH} brackets`);
    } else if (c === CLOSE_PAREN || c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      if (open.pop() !== (c === CLOSE_PAREN ? OPEN_PAREN : c === CLOSE_BRACKET ? OPEN_BRACKET : OPEN_BRACE))
        throw new PromQLError(`syntax error at char ${i + 1}: unbalanced '${String.fromCharCode(c)}'`);
    }
  }
  if (open.length) throw new PromQLError(`syntax error at end of query: unclosed '${String.fromCharCode(open[open.length - 1]!)}'`);
  // A small integer (no heap number to allocate or keep).
  scannedHash = h & 0x3fffffff;
  return spans;
}

// Character codes the scan looks for.
const DOUBLE_QUOTE = 0x22; // "
const SINGLE_QUOTE = 0x27; // '
const BACKTICK = 0x60; // `
const BACKSLASH = 0x5c; // \
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const HASH = 0x23; // #
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
/** The shape hash of the query scanQuery last scanned (read right after the call). */
let scannedHash = 0;

// ---------------------------------------------------------------------------------------------
// Shapes. Dashboards send the same queries for every user with other label values (another
// branch, another officer), and the rewriter parses each twice (the caller's text, then our
// printed text to verify it): the grammar's parse was ~65% of a never-seen rewrite. A query's
// *shape* is its text with the body of every string literal blanked to as many `x`s: queries of
// one shape get the same syntax tree from the grammar, node for node and position for position,
// as long as each literal is plain (no escape, no line break, closed): the grammar's string token
// is `"` (anything but \, line break or the quote)* `"` (the same for ' and `), so it ends at the
// same closing quote whatever the plain body holds, and nothing outside the literals differs.
// So the grammar's tree is kept per shape, and a query of a known shape is converted (every check
// of the converter runs on its own text: string decoding, label names, functions) over that tree.
// A tree is kept only when the grammar's own string literals are exactly the spans our scan found
// (so a scan that misread the text can never lend its tree to another query), and only for trees
// without errors.

interface Shape {
  /** The query the tree was parsed from. */
  source: string;
  /** [from, to) of each string literal, as scanned and as the grammar read it. */
  spans: number[];
  tree: ReturnType<typeof parseTree>;
}

const SHAPE_ENTRIES = 4096;
/** Rough bytes per character of query kept (its text plus the grammar's tree buffers). */
const SHAPE_BYTES_PER_CHAR = 40;
const SHAPE_MAX_BYTES = 16 * 1024 * 1024;
const SHAPEABLE_LENGTH = 8 * 1024;
const SHAPES_PER_HASH = 4;
/** By a hash of the shape; every candidate is then compared in full (sameShape). */
const shapes = new Map<number, Shape[]>();
let shapeCount = 0;
let shapeBytes = 0;
let shapeHits = 0;

function sameSpans(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same shape: equal length, the same literal spans, and the same text outside their bodies. */
function sameShape(known: Shape, source: string, spans: number[]): boolean {
  if (known.source.length !== source.length || !sameSpans(known.spans, spans)) return false;
  let k = 0;
  for (let i = 0; i < source.length; i++) {
    if (k < spans.length && i === spans[k]! + 1) {
      i = spans[k + 1]! - 2;
      k += 2;
      continue;
    }
    if (known.source.charCodeAt(i) !== source.charCodeAt(i)) return false;
  }
  return true;
}

/** The shape memo's size, for tests and the benchmark. */
export function shapeMemoStats(): { entries: number; bytes: number; maxBytes: number; hits: number } {
  return { entries: shapeCount, bytes: shapeBytes, maxBytes: SHAPE_MAX_BYTES, hits: shapeHits };
}

/** The shape hash of `source` (undefined when it has no shape), for tests that craft collisions. */
export function shapeHashOf(source: string): number | undefined {
  return scanQuery(source) === undefined ? undefined : scannedHash;
}

/** Forgets every shape (tests compare the converter over remembered and fresh trees). */
export function clearShapes(): void {
  shapes.clear();
  sighted.clear();
  shapeCount = 0;
  shapeBytes = 0;
}

const sighted = new Set<number>();

function sightedBefore(hash: number): boolean {
  if (sighted.delete(hash)) return true;
  sighted.add(hash);
  if (sighted.size > 2 * SHAPE_ENTRIES) sighted.delete(sighted.values().next().value!);
  return false;
}

/** The grammar's tree for `source`: parsed, checked for errors, and remembered by shape when it may be. */
function treeFor(source: string) {
  const spans = scanQuery(source);
  const hash = spans !== undefined && source.length <= SHAPEABLE_LENGTH ? scannedHash : undefined;
  if (hash !== undefined) {
    const known = shapes.get(hash)?.find((shape) => sameShape(shape, source, spans!));
    if (known !== undefined) {
      shapeHits++;
      return known.tree;
    }
  }
  const tree = parseTree(source);
  const literals = checkTree(source, tree.topNode);
  // Kept from a shape's second sighting on: most one-off queries are never seen again, and keeping
  // their trees cost the garbage collector ~6% of a rewrite. A sighting is only a hint (a hash; a
  // collision merely keeps a tree early): what a tree is used for is decided by sameShape.
  if (hash !== undefined && sameSpans(literals, spans!) && sightedBefore(hash)) {
    // A bucket holds at most SHAPES_PER_HASH shapes, so crafted hash collisions cannot make a lookup
    // compare a query with thousands of remembered ones.
    const bucket = shapes.get(hash);
    if (bucket && bucket.length >= SHAPES_PER_HASH) return tree;
    if (bucket) bucket.push({ source, spans: spans!, tree });
    else shapes.set(hash, [{ source, spans: spans!, tree }]);
    shapeCount++;
    shapeBytes += SHAPE_BYTES_PER_CHAR * source.length;
    // Oldest first out (a Map iterates in insertion order).
    while (shapeCount > SHAPE_ENTRIES || shapeBytes > SHAPE_MAX_BYTES) {
      const [oldestHash, oldest] = shapes.entries().next().value!;
      const gone = oldest.shift()!;
      if (oldest.length === 0) shapes.delete(oldestHash);
      shapeCount--;
      shapeBytes -= SHAPE_BYTES_PER_CHAR * gone.source.length;
    }
  }
  return tree;
}

/**
 * The grammar's parse, strict (the first syntax error ends it: we refuse any error anyway, and
 * error recovery on garbage cost up to a second of the event loop), allowing long
 * left-associative chains: lezer cuts a chain after 300 reductions spanning 2,000+ characters
 * (to guard recursive tree walks), so an honest `a + b + …` of ~250 terms failed, and one that
 * parsed could fail once the scope's matchers made it longer ("internal: rewritten query does
 * not parse"). Our own walk is bounded by MAX_DEPTH instead.
 */
function parseTree(source: string) {
  const parse = strictParser.startParse(source);
  let allowance = MAX_DEPTH;
  try {
    for (;;) {
      const tree = parse.advance();
      if (tree) return tree;
      const counter = parse as unknown as { bigReductionCount?: number };
      if (typeof counter.bigReductionCount === 'number' && counter.bigReductionCount > 250 && allowance > 0) {
        allowance -= counter.bigReductionCount;
        counter.bigReductionCount = 0;
      }
    }
  } catch (error) {
    const at = /No parse at (\d+)/.exec((error as Error).message);
    if (!at) throw error;
    const pos = Number(at[1]);
    throw new PromQLError(`syntax error at char ${pos + 1}: ${clip(source.slice(Math.max(0, pos - 10), pos + 20)) || 'end of query'}`);
  }
}
const strictParser = parser.configure({ strict: true });

export const MAX_QUERY_LENGTH = 32 * 1024;

let fastReader = true;
let fastReads = 0;
let grammarReads = 0;

/**
 * Turns the fast reader off or on (tests of the grammar path's own machinery, e.g. its shape memo,
 * and the differential tests, which compare the two paths; the benchmark's before/after).
 */
export function useFastReader(on: boolean): void {
  fastReader = on;
}

/** How many parses each path took, for tests and the benchmark. */
export function readerStats(): { fast: number; grammar: number } {
  return { fast: fastReads, grammar: grammarReads };
}

/** Parses a PromQL expression; throws PromQLError on anything the proxy will not forward. */
export function parsePromQL(source: string, maxLength = MAX_QUERY_LENGTH): Expr {
  if (source.length > maxLength) throw new PromQLError(`query longer than ${maxLength} characters`);
  if (!source.trim()) throw new PromQLError('empty query');
  // The hand-written reader first (fast-parser.ts): it reads the queries dashboards send, and our
  // own printed text, into exactly the tree the grammar path below would build, and declines
  // everything else, which the grammar path then reads (or refuses) as before.
  if (fastReader) {
    const fast = readFast(source);
    if (fast !== undefined) {
      fastReads++;
      return fast;
    }
  }
  grammarReads++;
  const top = treeFor(source).topNode;
  if (top.name !== 'PromQL') throw new PromQLError('not a PromQL expression');
  const converter = new Converter(source);
  const kids = converter.children(top);
  if (kids.length !== 1) throw new PromQLError('expected exactly one expression');
  return converter.expr(kids[0]!);
}

/** Parses a series selector (the `match[]` of series/labels endpoints): one plain selector. */
export function parseSeriesSelector(source: string, maxLength = MAX_QUERY_LENGTH): Expr & { kind: 'selector' } {
  const expr = parsePromQL(source, maxLength);
  if (expr.kind !== 'selector' || expr.range !== undefined || expr.offset !== undefined || expr.at !== undefined) {
    throw new PromQLError('match[] must be a plain series selector like metric{label="value"}');
  }
  return expr;
}

// ---------------------------------------------------------------------------------------------
// Printing. Canonical: metric names always as __name__ matchers (no identifier can be misread as
// a keyword), strings JSON-quoted, operands of operators parenthesised when they are operators.

/** Postfix modifiers after an operand would be read by the grammar as applying to the whole. */
function hasPostfix(expr: Expr): boolean {
  return (
    expr.kind === 'subquery' ||
    (expr.kind === 'selector' && (expr.range !== undefined || expr.offset !== undefined || expr.at !== undefined))
  );
}

function operand(expr: Expr, extra: Extra | undefined): string {
  const text = printWith(expr, extra);
  if (expr.kind === 'binary' || expr.kind === 'unary' || hasPostfix(expr)) return `(${text})`;
  if (expr.kind === 'number' && (expr.text[0] === '-' || expr.text[0] === '+')) return `(${text})`;
  return text;
}

function labelList(labels: string[]): string {
  let out = '(';
  for (let i = 0; i < labels.length; i++) out += i === 0 ? labels[i] : `, ${labels[i]}`;
  return `${out})`;
}

function modifiers(expr: { range?: string; offset?: string; at?: string }): string {
  let out = '';
  if (expr.offset !== undefined) out += ` offset ${expr.offset}`;
  if (expr.at !== undefined) out += ` @ ${expr.at}`;
  return out;
}

export function printMatcher(m: Matcher): string {
  return `${m.name}${m.op}${quoteString(m.value)}`;
}

/** The printed form of matchers as they appear inside a selector's braces: `a="x", b=~"y"`. */
export function printMatchers(matchers: readonly Matcher[]): string {
  let out = '';
  for (let i = 0; i < matchers.length; i++) out += i === 0 ? printMatcher(matchers[i]!) : `, ${printMatcher(matchers[i]!)}`;
  return out;
}

export function print(expr: Expr): string {
  return printWith(expr, undefined);
}

/** Matchers to add to every selector: each one, and all of them printed (printMatchers). */
export interface Extra {
  required: readonly Matcher[];
  printed: string;
}

/**
 * Prints `expr` as if `extra`'s matchers had been appended to the matchers of every selector: the
 * same text as print(applying those matchers to the tree), without building the rewritten tree,
 * except that a matcher the selector already has, identical (same label, operator and value), is
 * not written twice (`{officer="X"}` needs no second `officer="X"`: Prometheus would look the
 * same postings up twice). The selector still carries it, so the verifier's presence check is
 * unchanged. Whatever comes out of here is re-parsed and verified by the caller.
 */
export function printWithMatchers(expr: Expr, extra: Extra): string {
  return printWith(expr, extra.required.length === 0 ? undefined : extra);
}

function sameMatcher(a: Matcher, b: Matcher): boolean {
  return a.name === b.name && a.op === b.op && a.value === b.value;
}

/** The printed matchers of `extra` that `own` does not already hold (all of them, usually). */
function missingFrom(own: readonly Matcher[], extra: Extra): string {
  const { required } = extra;
  let held: boolean[] | undefined;
  for (let i = 0; i < required.length; i++) for (const have of own) if (sameMatcher(have, required[i]!)) (held ??= [])[i] = true;
  if (held === undefined) return extra.printed;
  let out = '';
  for (let i = 0; i < required.length; i++) {
    if (held[i]) continue;
    out += out === '' ? printMatcher(required[i]!) : `, ${printMatcher(required[i]!)}`;
  }
  return out;
}

function printWith(expr: Expr, extra: Extra | undefined): string {
  switch (expr.kind) {
    case 'number':
      return expr.text;
    case 'string':
      return quoteString(expr.value);
    case 'selector': {
      let inner = printMatchers(expr.matchers);
      if (extra !== undefined) {
        const add = missingFrom(expr.matchers, extra);
        if (add !== '') inner = inner === '' ? add : `${inner}, ${add}`;
      }
      return `{${inner}}${expr.range !== undefined ? `[${expr.range}]` : ''}${modifiers(expr)}`;
    }
    case 'subquery': {
      const inner = expr.expr;
      const plain =
        inner.kind === 'call' ||
        inner.kind === 'aggregate' ||
        inner.kind === 'paren' ||
        (inner.kind === 'selector' && inner.range === undefined && inner.offset === undefined && inner.at === undefined);
      const body = plain ? printWith(inner, extra) : `(${printWith(inner, extra)})`;
      return `${body}[${expr.range}:${expr.step ?? ''}]${modifiers(expr)}`;
    }
    case 'call': {
      let args = '';
      for (let i = 0; i < expr.args.length; i++) args += i === 0 ? printWith(expr.args[i]!, extra) : `, ${printWith(expr.args[i]!, extra)}`;
      return `${expr.fn}(${args})`;
    }
    case 'aggregate': {
      const grouping = expr.grouping ? ` ${expr.grouping.without ? 'without' : 'by'} ${labelList(expr.grouping.labels)}` : '';
      const args = expr.param ? `${printWith(expr.param, extra)}, ${printWith(expr.expr, extra)}` : printWith(expr.expr, extra);
      return `${expr.op}${grouping} (${args})`;
    }
    case 'binary': {
      let op = expr.op;
      if (expr.bool) op += ' bool';
      if (expr.matching) {
        op += ` ${expr.matching.on ? 'on' : 'ignoring'}${labelList(expr.matching.labels)}`;
        if (expr.matching.group) op += ` group_${expr.matching.group}${labelList(expr.matching.include)}`;
      }
      return `${operand(expr.lhs, extra)} ${op} ${operand(expr.rhs, extra)}`;
    }
    case 'unary':
      return `${expr.op}${operand(expr.expr, extra)}`;
    case 'paren':
      return `(${printWith(expr.expr, extra)})`;
  }
}

/** Calls `visit` on every node, parents first. */
export function walk(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  switch (expr.kind) {
    case 'subquery':
    case 'unary':
    case 'paren':
      walk(expr.expr, visit);
      break;
    case 'call':
      for (const arg of expr.args) walk(arg, visit);
      break;
    case 'aggregate':
      if (expr.param) walk(expr.param, visit);
      walk(expr.expr, visit);
      break;
    case 'binary':
      walk(expr.lhs, visit);
      walk(expr.rhs, visit);
      break;
    default:
      break;
  }
}

/** The value of a string argument, looking through parentheses (as Prometheus does). */
export function stringValue(expr: Expr | undefined): string | undefined {
  let e = expr;
  while (e?.kind === 'paren') e = e.expr;
  return e?.kind === 'string' ? e.value : undefined;
}
