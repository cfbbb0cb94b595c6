import { defineConfig } from 'vite';
import { mnistSubsetPlugin } from './build/mnist-subset.js';

// The page shows errors as `${error.name}: ${error.message}`. DEQ.ts's error classes spell their
// names out (test/qa/minified-error-names.test.ts); keepNames also keeps the app's own.
const keepNames = { output: { keepNames: true } };

// Relative asset URLs (base './'), so the built page works from any folder or path prefix.
export default defineConfig({
  base: './',
  plugins: [mnistSubsetPlugin()],
  worker: { format: 'es', rolldownOptions: keepNames },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: keepNames,
  },
});
