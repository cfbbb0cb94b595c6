import { resolve } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

// Every public symbol (what a package's src/index.ts exports) has a doc comment with an example.
const PACKAGES = ['core-layers', 'solvers', 'deq', 'train'];

function undocumentedExports(): string[] {
  const roots = PACKAGES.map((p) => resolve(__dirname, `../../packages/${p}/src/index.ts`));
  const program = ts.createProgram(roots, { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  roots.forEach((root, i) => {
    const source = program.getSourceFile(root);
    if (!source) throw new Error(`cannot read ${root}`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (!moduleSymbol) return;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const isValue = (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable)) !== 0;
      const declarations = symbol.getDeclarations() ?? [];
      const comment = ts.displayPartsToString(symbol.getDocumentationComment(checker));
      const tags = declarations.flatMap((d) => ts.getJSDocTags(d));
      const hasExample = tags.some((t) => t.tagName.text === 'example');
      if (!comment.trim()) missing.push(`@deqts/${PACKAGES[i]}: ${exported.name} has no doc comment`);
      else if (isValue && !hasExample) missing.push(`@deqts/${PACKAGES[i]}: ${exported.name} has no @example`);
    }
  });
  return missing;
}

it('every public symbol has a doc comment, and every public function, class and constant an example', () => {
  const missing = undocumentedExports();
  expect(missing, missing.join('\n')).toEqual([]);
}, 120_000);
