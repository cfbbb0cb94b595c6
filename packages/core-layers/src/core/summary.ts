import { parameterCount, stateCount, type AnyLayer } from './layer.js';

const withSeparators = (n: number): string => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '_');

function countsComment(layer: AnyLayer): string {
  const p = parameterCount(layer);
  const s = stateCount(layer);
  return `# ${withSeparators(p)} parameters${s > 0 ? `, plus ${withSeparators(s)} states` : ''}`;
}

function render(layer: AnyLayer, indent: string, key: string | null, lines: string[]): void {
  const prefix = `${indent}${key === null ? '' : `${key} = `}`;
  const children = Object.entries(layer.children);
  if (children.length === 0) {
    lines.push(`${prefix}${layer.description},  ${countsComment(layer)}`);
    return;
  }
  lines.push(`${prefix}${layer.name}(`);
  if (layer.description !== layer.name) lines.push(`${indent}    # ${layer.description}`);
  for (const [childKey, child] of children) render(child, `${indent}    `, childKey, lines);
  lines.push(`${indent})${key === null ? '' : ','}  ${key === null ? '' : countsComment(layer)}`.trimEnd());
}

/** Options of {@link summary}. */
export type SummaryOptions = { readonly print?: boolean };

/**
 * The layer tree of a model with parameter and state counts, in Lux's display style (counts with
 * `_` separators, a total footer). Prints it (unless `{ print: false }`) and returns it.
 *
 * @example
 * ```ts
 * import { Chain, Dense, summary } from '@deqts/core-layers';
 * summary(Chain(Dense(2, 3, { activation: 'relu' }), Dense(3, 2)));
 * // Chain(
 * //     layer_1 = Dense(2 => 3, relu),  # 9 parameters
 * //     layer_2 = Dense(3 => 2),  # 8 parameters
 * // )
 * // # Total: 17 parameters,
 * // #        plus 0 states.
 * ```
 */
export function summary(model: AnyLayer, options: SummaryOptions = {}): string {
  const lines: string[] = [];
  render(model, '', null, lines);
  lines.push(`# Total: ${withSeparators(parameterCount(model))} parameters,`);
  lines.push(`#        plus ${withSeparators(stateCount(model))} states.`);
  const text = lines.join('\n');
  if (options.print ?? true) console.log(text);
  return text;
}
