import { z } from 'zod';

/** A JSON value (what a checkpoint's `config` may hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The tensor dtypes a checkpoint stores. */
export const TENSOR_DTYPES = ['float32', 'int32', 'bool'] as const;
/** The typed-array leaves a checkpoint stores (e.g. per-sample solver statistics in a state). */
export const TYPED_ARRAYS = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'Int8Array', 'Int16Array', 'Uint16Array', 'Uint32Array'] as const;
export type TypedArrayName = (typeof TYPED_ARRAYS)[number];

/** How one node of a saved tree is described in the manifest. */
export type NodeJson =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, NodeJson])[] }
  | { readonly kind: 'array'; readonly items: readonly NodeJson[] }
  | {
      readonly kind: 'tensor';
      readonly path: string;
      readonly dtype: (typeof TENSOR_DTYPES)[number];
      readonly shape: readonly number[];
      readonly offset: number;
      readonly byteLength: number;
    }
  | { readonly kind: 'typedArray'; readonly path: string; readonly type: TypedArrayName; readonly length: number; readonly offset: number; readonly byteLength: number }
  | { readonly kind: 'number'; readonly value: number | 'NaN' | 'Infinity' | '-Infinity' | '-0' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'null' }
  | { readonly kind: 'undefined' }
  | { readonly kind: 'xoshiro'; readonly xoshiro: readonly [number, number, number, number] };

const count = z.number().int().nonnegative();
const word = z.number().int().min(0).max(0xffffffff);

export const NodeSchema: z.ZodType<NodeJson> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('object'), entries: z.array(z.tuple([z.string(), NodeSchema])) }),
    z.strictObject({ kind: z.literal('array'), items: z.array(NodeSchema) }),
    z.strictObject({
      kind: z.literal('tensor'),
      path: z.string(),
      dtype: z.enum(TENSOR_DTYPES),
      shape: z.array(count),
      offset: count,
      byteLength: count,
    }),
    z.strictObject({ kind: z.literal('typedArray'), path: z.string(), type: z.enum(TYPED_ARRAYS), length: count, offset: count, byteLength: count }),
    z.strictObject({ kind: z.literal('number'), value: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity', '-0'])]) }),
    z.strictObject({ kind: z.literal('boolean'), value: z.boolean() }),
    z.strictObject({ kind: z.literal('string'), value: z.string() }),
    z.strictObject({ kind: z.literal('null') }),
    z.strictObject({ kind: z.literal('undefined') }),
    z.strictObject({ kind: z.literal('xoshiro'), xoshiro: z.tuple([word, word, word, word]) }),
  ]),
);

export const CHECKPOINT_FORMAT = 'deqts-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const TENSORS_FILE = 'tensors.bin';

export const ManifestSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.literal(CHECKPOINT_VERSION),
  createdAt: z.string(),
  backend: z.string(),
  step: count,
  config: z.json(),
  tensors: z.strictObject({ file: z.literal(TENSORS_FILE), byteLength: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  trees: z.strictObject({ ps: NodeSchema, st: NodeSchema, optState: NodeSchema }),
});

/** The validated contents of `manifest.json`. */
export type Manifest = z.infer<typeof ManifestSchema>;
