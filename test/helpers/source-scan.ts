/**
 * A static scan of src/ with the TypeScript parser (no type check): the string
 * literals handed to given calls, by module. The contract tests use it to hold
 * the catalogues (bus events, log subsystems) to what the code really does.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from './cli.js';

export interface SourceFile {
  /** Path under src/ without `.ts`: `actors/access-policy`. */
  module: string;
  file: ts.SourceFile;
}

export function sourceFiles(dir = path.join(ROOT, 'src')): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const module = path.relative(dir, p).replace(/\\/g, '/').replace(/\.ts$/, '');
        out.push({ module, file: ts.createSourceFile(p, fs.readFileSync(p, 'utf8'), ts.ScriptTarget.ES2022, true) });
      }
    }
  };
  walk(dir);
  return out;
}

function visit(node: ts.Node, f: (n: ts.Node) => void): void {
  f(node);
  node.forEachChild((c) => visit(c, f));
}

const literal = (n: ts.Node | undefined): string | null =>
  n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : null;

export interface LiteralCall {
  module: string;
  /** The receiver as written: `deps.bus`, `s.ev`, `ws`. */
  receiver: string;
  method: string;
  name: string;
}

/** Every `<receiver>.<method>('literal', …)` call: receiver, method, the literal and the module it is in. */
export function methodCallsWithLiteral(files: SourceFile[], methods: readonly string[]): LiteralCall[] {
  const out: LiteralCall[] = [];
  for (const { module, file } of files) {
    visit(file, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
      const method = n.expression.name.text;
      const name = literal(n.arguments[0]);
      if (methods.includes(method) && name !== null) out.push({ module, receiver: n.expression.expression.getText(file), method, name });
    });
  }
  return out;
}

/** The literal at argument `index` of every call to the function `fn`, and `key: 'literal'` object properties. */
export function literalsOf(files: SourceFile[], opts: { fn: string; index: number; property: string }): Set<string> {
  const out = new Set<string>();
  for (const { file } of files) {
    visit(file, (n) => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === opts.fn) {
        const v = literal(n.arguments[opts.index]);
        if (v !== null) out.add(v);
      }
      if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === opts.property) {
        const v = literal(n.initializer);
        if (v !== null) out.add(v);
      }
    });
  }
  return out;
}
