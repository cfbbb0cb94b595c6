import type { Dataset } from '@deqts/train';

/**
 * The MNIST subset the build writes (build/mnist-subset.ts): the ASCII magic "DQMN", then
 * uint32 little-endian train count, test count and pixels per image, then the train images
 * (uint8), train labels (uint8), test images and test labels.
 */
export const MNIST_SUBSET_FILE = 'mnist-subset.bin';
export const MNIST_MAGIC = 'DQMN';

function split(bytes: Uint8Array, offset: number, count: number, pixels: number): Dataset {
  const x = new Float32Array(count * pixels);
  for (let i = 0; i < x.length; i++) x[i] = bytes[offset + i] / 255;
  const y = Int32Array.from(bytes.subarray(offset + count * pixels, offset + count * pixels + count));
  return { x, y, sampleShape: [pixels], size: count, numClasses: 10 };
}

/** Decodes the subset file into flat `[784]` float32 images in [0, 1] and their labels. */
export function decodeMnistSubset(buffer: ArrayBuffer): { train: Dataset; test: Dataset } {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MNIST_MAGIC) throw new Error(`${MNIST_SUBSET_FILE}: not an MNIST subset file (magic '${magic}')`);
  const view = new DataView(buffer);
  const [trainCount, testCount, pixels] = [4, 8, 12].map((o) => view.getUint32(o, true));
  const expected = 16 + (trainCount + testCount) * (pixels + 1);
  if (bytes.length !== expected) throw new Error(`${MNIST_SUBSET_FILE}: ${bytes.length} bytes, expected ${expected}`);
  return { train: split(bytes, 16, trainCount, pixels), test: split(bytes, 16 + trainCount * (pixels + 1), testCount, pixels) };
}

/** Fetches and decodes the bundled subset. */
export async function fetchMnistSubset(url: string): Promise<{ train: Dataset; test: Dataset }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}; the MNIST subset is written by \`vite build\` (apps/playground/build/mnist-subset.ts)`);
  return decodeMnistSubset(await response.arrayBuffer());
}
