/**
 * Softmax cross-entropy of class indices as two wasm-backend kernels (forward and gradient)
 * instead of the ~20 small tfjs kernels of logSoftmax, oneHot, the product, the sums and the
 * reduction with their gradients: at MNIST's [128, 10] each of those costs more in dispatch than
 * in arithmetic. Computed per row in float64 (max, log-sum-exp, probabilities), rounded once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradientRecorded, isWasmModuleBackend, registerWasmKernel, type WasmModuleBackend } from '@deqts/core-layers';
import type { Reduction } from './losses.js';

const FORWARD = 'DeqtsSoftmaxCrossEntropy';
const GRADIENT = 'DeqtsSoftmaxCrossEntropyGrad';

type Inputs = Readonly<Record<string, tf.TensorInfo>>;

/**
 * Forward: the loss (per sample for 'none', else reduced) and the softmax probabilities. A label
 * outside [0, classes) has loss 0 and gradient 0, as with its all-zero one-hot target.
 */
function forward(backend: WasmModuleBackend, inputs: Inputs, attrs: Record<string, unknown>): tf.TensorInfo[] {
  const [n, c] = inputs.logits.shape;
  const reduction = attrs.reduction as Reduction;
  const probs = backend.makeOutput([n, c], 'float32');
  const loss = backend.makeOutput(reduction === 'none' ? [n] : [], 'float32');
  // views after the last allocation (allocating may grow the memory and detach earlier views)
  const x = backend.typedArrayFromHeap(inputs.logits);
  const labels = backend.typedArrayFromHeap(inputs.labels);
  const p = backend.typedArrayFromHeap(probs);
  const out = backend.typedArrayFromHeap(loss);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, x[row + j]);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(x[row + j] - max);
    const logSumExp = max + Math.log(sum);
    for (let j = 0; j < c; j++) p[row + j] = Math.exp(x[row + j] - logSumExp);
    const label = labels[i];
    const li = label >= 0 && label < c ? logSumExp - x[row + label] : 0;
    if (reduction === 'none') out[i] = li;
    else total += li;
  }
  if (reduction !== 'none') out[0] = reduction === 'mean' ? total / n : total;
  return [loss, probs];
}

/** Gradient with respect to the logits: (p − onehot(label)) times the loss gradient of each sample. */
function gradient(backend: WasmModuleBackend, inputs: Inputs, attrs: Record<string, unknown>): tf.TensorInfo {
  const [n, c] = inputs.probs.shape;
  const reduction = attrs.reduction as Reduction;
  const dx = backend.makeOutput([n, c], 'float32');
  const p = backend.typedArrayFromHeap(inputs.probs);
  const labels = backend.typedArrayFromHeap(inputs.labels);
  const dy = backend.typedArrayFromHeap(inputs.dy);
  const d = backend.typedArrayFromHeap(dx);
  const shared = reduction === 'mean' ? dy[0] / n : dy[0];
  for (let i = 0; i < n; i++) {
    const row = i * c;
    const label = labels[i];
    const g = label >= 0 && label < c ? (reduction === 'none' ? dy[i] : shared) : 0;
    for (let j = 0; j < c; j++) d[row + j] = (p[row + j] - (j === label ? 1 : 0)) * g;
  }
  return dx;
}

/**
 * Whether this forward runs inside a gradient that is itself being differentiated (tfjs's
 * `gradientDepth` ≥ 2; unknown counts as yes): its backward pass would be recorded, and the
 * fused gradient kernel has no gradient of its own, so such calls take the op composition.
 */
function nestedGradient(): boolean {
  const depth = (tf.engine().state as unknown as { gradientDepth?: unknown }).gradientDepth;
  return typeof depth !== 'number' || depth >= 2;
}

/**
 * The cross-entropy of `logits` [batch, classes] (float32) against int32 class indices `labels`
 * [batch], reduced as `reduction`, with its gradient, on the wasm backend's fused kernels; null
 * on another backend or inside a nested gradient (the caller then composes tfjs ops).
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, reduction: Reduction): tf.Tensor | null {
  if (!isWasmModuleBackend(tf.backend()) || logits.dtype !== 'float32' || logits.rank !== 2 || nestedGradient()) return null;
  registerWasmKernel(FORWARD, forward);
  registerWasmKernel(GRADIENT, gradient);
  const attrs = { reduction } as unknown as tf.NamedAttrMap;
  const loss = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [value, probs] = tf.engine().runKernel(FORWARD, { logits: x, labels }, attrs) as unknown as [tf.Tensor, tf.Tensor];
    save([x, probs]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [xs, probsSaved]: tf.Tensor[]) =>
        // a backward pass that is being recorded (not one from a nested forward, which took the
        // op path) gets the same values from ops, since the kernel has no gradient of its own
        gradientRecorded() ? opGradient(xs, labels, dy, reduction) : (tf.engine().runKernel(GRADIENT, { probs: probsSaved, labels, dy }, attrs) as tf.Tensor),
    };
  }) as never) as (x: tf.Tensor) => tf.Tensor;
  return loss(logits);
}

/** The gradient kernel's result composed of differentiable tfjs ops of the logits. */
function opGradient(logits: tf.Tensor, labels: tf.Tensor, dy: tf.Tensor, reduction: Reduction): tf.Tensor {
  const [n, c] = logits.shape;
  const target = tf.cast(tf.oneHot(labels, c), 'float32');
  // a label outside [0, classes) has an all-zero target, and gradient 0
  const valid = tf.sum(target, -1, true);
  const perSample = reduction === 'none' ? tf.reshape(dy, [n, 1]) : reduction === 'mean' ? tf.div(dy, n) : dy;
  return tf.mul(tf.sub(tf.mul(tf.softmax(logits), valid), target), perSample);
}
