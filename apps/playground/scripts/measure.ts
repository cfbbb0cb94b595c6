// Measures, in headless Chromium: training seconds until the spiral and the moons problem reach
// 95 % test accuracy, and the MNIST subset's test accuracy after a fixed training time.
// Usage (from the repository root): npx -y pnpm@10 exec tsx apps/playground/scripts/measure.ts [--no-build] [--mnist-seconds 90]
import { buildPlayground, launchChromium, openPlayground, snapshot, startTraining, waitForRun, type Fields } from './driver.js';
import { startServer } from './serve.js';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mnistSeconds = Number(argValue('mnist-seconds') ?? 90);

if (!process.argv.includes('--no-build')) buildPlayground();
const { url, server } = await startServer();
const browser = await launchChromium();
try {
  for (const dataset of ['moons', 'spiral'] as const) {
    const page = await openPlayground(browser, url);
    const fields: Fields = { dataset, backend: 'wasm' };
    const clicked = Date.now();
    await startTraining(page, fields);
    const s = await waitForRun(page, (x) => x.reachedTarget !== null || x.seconds > 120 || x.state === 'stopped', 180_000);
    // Wall time from pressing Start (backend set-up and data generation included) to seeing 95 %.
    const wallSeconds = (Date.now() - clicked) / 1000;
    console.log(JSON.stringify({ dataset, reachedTarget: s.reachedTarget, wallSeconds, steps: s.steps, lastTestAccuracy: s.testAccuracy.at(-1), tensors: [s.numTensors[0], s.numTensors.at(-1)] }));
    await page.close();
  }
  const page = await openPlayground(browser, url);
  await startTraining(page, { dataset: 'mnist', backend: 'wasm' });
  const s = await waitForRun(page, (x) => x.seconds >= mnistSeconds || x.state === 'stopped', (mnistSeconds + 120) * 1000);
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.state === 'stopped');
  const final = await snapshot(page);
  console.log(JSON.stringify({ dataset: 'mnist', trainingSeconds: s.seconds, steps: final.steps, testAccuracy: final.testAccuracy.map((e) => [e.seconds.toFixed(1), e.testAccuracy]), tensors: [final.numTensors[0], final.numTensors.at(-1)] }));
  await page.close();
} finally {
  await browser.close();
  server.close();
}
