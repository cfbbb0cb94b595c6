import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// A page imports each package by name and its bundler picks the "browser" export condition. What
// it reaches from there must never import a Node built-in (node:fs, path, worker_threads, …):
// walk the runtime import graph of the workspace sources from each browser entry point.
const PACKAGES = ['core-layers', 'solvers', 'deq', 'train'] as const;
const ROOT = resolve(__dirname, '../..');
const BROWSER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  customConditions: ['browser'],
};
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Module specifiers a file loads at run time (type-only imports and exports are erased). */
function runtimeSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const literal = (node: ts.Node | undefined) => (node && ts.isStringLiteral(node) ? node.text : null);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypes = clause !== undefined && (clause.isTypeOnly ||
        (!clause.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)));
      const spec = literal(node.moduleSpecifier);
      if (spec && !onlyTypes) out.push(spec);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const onlyTypes = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      const spec = literal(node.moduleSpecifier);
      if (spec && !onlyTypes) out.push(spec);
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const spec = literal(node.arguments[0]);
      if ((isImport || isRequire) && spec) out.push(spec);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every Node built-in reachable from `entry` through workspace sources, as "importer → module". */
function nodeImportsFrom(entry: string, options: ts.CompilerOptions = BROWSER_OPTIONS): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of runtimeSpecifiers(file)) {
      if (BUILTINS.has(spec)) {
        found.push(`${file.slice(ROOT.length + 1)} → ${spec}`);
        continue;
      }
      const resolved = ts.resolveModuleName(spec, file, options, ts.sys).resolvedModule?.resolvedFileName;
      // Third-party packages (tfjs, zod, fp-ts) are not walked: they ship their own browser builds.
      if (resolved && !resolved.includes('/node_modules/') && /\.tsx?$/.test(resolved)) queue.push(resolved);
      else if (!resolved && (spec.startsWith('.') || spec.startsWith('@deqts/'))) {
        throw new Error(`${file}: cannot resolve '${spec}' (browser conditions)`);
      }
    }
  }
  return found;
}

/** The file a bundler loads for `import … from '@deqts/<pkg>'` in a browser build. */
function browserEntry(pkg: string): string {
  const resolved = ts.resolveModuleName(`@deqts/${pkg}`, resolve(ROOT, 'test/qa/x.ts'), BROWSER_OPTIONS, ts.sys).resolvedModule;
  if (!resolved) throw new Error(`@deqts/${pkg} does not resolve with the browser condition`);
  return resolved.resolvedFileName;
}

function exportedNames(file: string): Set<string> {
  const program = ts.createProgram([file], { ...BROWSER_OPTIONS, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true });
  const source = program.getSourceFile(file);
  const symbol = source && program.getTypeChecker().getSymbolAtLocation(source);
  if (!symbol) throw new Error(`cannot read the exports of ${file}`);
  return new Set(program.getTypeChecker().getExportsOfModule(symbol).map((s) => s.name));
}

describe('browser entry points', () => {
  it('@deqts/train resolves to its browser index under the "browser" condition, to index.ts otherwise', () => {
    expect(browserEntry('train')).toBe(resolve(ROOT, 'packages/train/src/index.browser.ts'));
    const node = ts.resolveModuleName('@deqts/train', resolve(ROOT, 'test/qa/x.ts'), { ...BROWSER_OPTIONS, customConditions: [] }, ts.sys);
    expect(node.resolvedModule?.resolvedFileName).toBe(resolve(ROOT, 'packages/train/src/index.ts'));
  });

  for (const pkg of PACKAGES) {
    it(`@deqts/${pkg}: no Node built-in is reachable from the browser entry`, () => {
      expect(nodeImportsFrom(browserEntry(pkg))).toEqual([]);
    });
  }

  it('the walk does find the Node built-ins of the Node entry (so an empty result means something)', () => {
    const found = nodeImportsFrom(resolve(ROOT, 'packages/train/src/index.ts'));
    expect(found).toContain('packages/train/src/data/mnist.ts → node:fs');
    expect(found).toContain('packages/train/src/checkpoint/checkpoint.ts → node:fs/promises');
  });

  it("the train browser index is index.ts minus exactly the file helpers (so its docs are index.ts's)", () => {
    const train = dirname(browserEntry('train'));
    const node = exportedNames(resolve(train, 'index.ts'));
    const browser = exportedNames(resolve(train, 'index.browser.ts'));
    expect([...browser].filter((name) => !node.has(name))).toEqual([]);
    const nodeOnly = [...node].filter((name) => !browser.has(name)).sort();
    expect(nodeOnly).toEqual([
      'CIFAR10_CLASSES', 'CIFAR10_FILES', 'CIFAR10_URL', 'Checkpoint', 'CheckpointInput', 'IdxArray', 'IdxDtype',
      'LoadCheckpointOptions', 'LoadCifar10Options', 'LoadMnistOptions', 'MNIST_FILES', 'encodeIdx', 'isGzip', 'loadCheckpoint', 'loadCifar10',
      'loadMnist', 'mnistDataDirectory', 'parseCifar10Batch', 'parseIdx', 'runExperiment', 'saveCheckpoint',
    ].sort());
  });
});
