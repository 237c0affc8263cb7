import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import of a module: what it names, and whether it survives compilation. */
export interface ImportEdge {
  /** Repository-relative path of the imported file, or the bare package specifier (`node:fs`, `fastify`). */
  to: string;
  /** `import type …` / `export type …` / every specifier `type`: erased, so no runtime dependency. */
  typeOnly: boolean;
  /** A relative specifier (a file of ours) rather than a package. */
  local: boolean;
}

export type ImportGraph = Map<string, ImportEdge[]>;

const SKIP_DIRS = new Set(['node_modules', '.git', 'data', 'artifacts', 'public']);

/** Every .ts file under `dirs` (repository-relative, forward slashes). */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/**
 * The import graph of `files`, read with the TypeScript parser (syntax only, no type
 * check: a second per file). Under `verbatimModuleSyntax` an import is erased exactly
 * when it is written type-only, so the syntax alone tells runtime edges from type edges.
 */
export function importGraph(root: string, files: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
    const edges: ImportEdge[] = [];
    const add = (spec: string, typeOnly: boolean) => {
      const local = spec.startsWith('.');
      const to = local ? relative(root, resolve(root, dirname(file), spec)).split('\\').join('/') : spec;
      edges.push({ to, typeOnly, local });
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const c = node.importClause;
        const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
        const allTypeNames = !!named && named.length > 0 && !c?.name && named.every((e) => e.isTypeOnly);
        add(node.moduleSpecifier.text, !!c && (c.isTypeOnly || allTypeNames));
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
        add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg && ts.isStringLiteral(arg)) add(arg.text, false);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, true);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    graph.set(file, edges);
  }
  return graph;
}

/** Strongly connected components of more than one file (or a file importing itself) over runtime edges (Tarjan). */
export function runtimeCycles(graph: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const next = (f: string) => (graph.get(f) ?? []).filter((e) => e.local && !e.typeOnly && graph.has(e.to)).map((e) => e.to);
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || next(v).includes(v)) out.push(comp.sort());
    }
  };
  for (const f of graph.keys()) if (!idx.has(f)) strong(f);
  return out;
}

/** Files reachable from `start` over runtime edges (start included), with the path that first reached each. */
export function runtimeClosure(graph: ImportGraph, start: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  while (queue.length) {
    const f = queue.shift()!;
    for (const e of graph.get(f) ?? []) {
      if (e.typeOnly || seen.has(e.to)) continue;
      seen.set(e.to, [...seen.get(f)!, e.to]);
      if (e.local && graph.has(e.to)) queue.push(e.to);
    }
  }
  return seen;
}
