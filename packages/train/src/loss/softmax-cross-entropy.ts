/**
 * Softmax cross-entropy of class indices as two wasm-backend kernels (forward and gradient)
 * instead of the ~20 small tfjs kernels of logSoftmax, oneHot, the product, the sums and the
 * reduction with their gradients: at MNIST's [128, 10] each of those costs more in dispatch than
 * in arithmetic. Computed per row in float64 (max, log-sum-exp, probabilities), rounded once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, gradientDepth, gradientRecorded, isWasmModuleBackend, registerWasmKernel, type WasmModuleBackend } from '@deqts/core-layers';
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
 * The cross-entropy of `logits` [batch, classes] (float32) against int32 class indices `labels`
 * [batch], reduced as `reduction`, with its gradient, on the wasm backend's fused kernels; null
 * on another backend or inside a nested gradient (the caller then composes tfjs ops).
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, reduction: Reduction): tf.Tensor | null {
  // inside a gradient that is itself differentiated (depth ≥ 2; unknown counts as such) the
  // backward pass would be recorded, and the gradient kernel has no gradient: compose ops there
  const depth = gradientDepth();
  if (!isWasmModuleBackend(tf.backend()) || logits.dtype !== 'float32' || logits.rank !== 2 || depth === null || depth >= 2) return null;
  registerWasmKernel(FORWARD, forward);
  registerWasmKernel(GRADIENT, gradient);
  const attrs = { reduction } as unknown as tf.NamedAttrMap;
  const loss = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [value, probs] = tf.engine().runKernel(FORWARD, { logits: x, labels }, attrs) as unknown as [tf.Tensor, tf.Tensor];
    save([probs]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [probsSaved]: tf.Tensor[]) => {
        // a forward at depth ≤ 1 has its backward at depth 0 (tfjs ends a tape before backprop):
        // a recorded backward here would silently drop the second-order terms, so refuse it
        if (gradientRecorded()) throw new BackendError('crossEntropy: the fused wasm gradient is being differentiated, which its forward depth rules out (tfjs internals changed?)');
        return tf.engine().runKernel(GRADIENT, { probs: probsSaved, labels, dy }, attrs) as tf.Tensor;
      },
    };
  }) as never) as (x: tf.Tensor) => tf.Tensor;
  return loss(logits);
}
