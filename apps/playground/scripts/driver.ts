// Drives the built playground in Debian's Chromium with playwright-core: used by the end-to-end
// tests (test/e2e/playground.test.ts) and by scripts/measure.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const APP = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
/** Debian's Chromium (`apt-get install -y chromium`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the page into dist/ with Vite; returns Vite's output (warnings included). */
export function buildPlayground(): string {
  const vite = resolve(APP, '../../node_modules/.bin/vite');
  const result = spawnSync(vite, ['build', '--configLoader', 'runner'], { cwd: APP, encoding: 'utf8', timeout: 300_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`vite build failed (status ${result.status}):\n${output}`);
  return output;
}

/** Launches headless Chromium as the issue prescribes. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** The form fields by element id, as the person types them. */
export type Fields = Partial<Record<'dataset' | 'model' | 'solver' | 'abstol' | 'reltol' | 'maxiters' | 'gradient' | 'backend' | 'learning-rate' | 'batch-size' | 'seed', string>>;

/** What `window.deqtsPlayground` shows of the current run. */
export type Snapshot = {
  readonly state: string;
  readonly steps: number;
  readonly losses: number[];
  readonly numTensors: number[];
  readonly solvers: string[];
  readonly testAccuracy: { step: number; seconds: number; testAccuracy: number }[];
  readonly reachedTarget: { seconds: number; step: number } | null;
  readonly seconds: number;
};

export async function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    type History = {
      steps: { loss: number; numTensors: number; solver: string; seconds: number }[];
      evals: Snapshot['testAccuracy'];
      reachedTarget: Snapshot['reachedTarget'];
    };
    const { history, state } = (window as unknown as { deqtsPlayground: { history: History; state: string } }).deqtsPlayground;
    return {
      state,
      steps: history.steps.length,
      losses: history.steps.map((s) => s.loss),
      numTensors: history.steps.map((s) => s.numTensors),
      solvers: history.steps.map((s) => s.solver),
      testAccuracy: history.evals.map((e) => ({ ...e })),
      reachedTarget: history.reachedTarget ? { ...history.reachedTarget } : null,
      seconds: history.steps.length > 0 ? history.steps[history.steps.length - 1].seconds : 0,
    };
  });
}

/** Opens the page and waits until the worker has listed the backends. */
export async function openPlayground(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'idle', undefined, { timeout: 60_000 });
  return page;
}

/** Sets form fields (select or text) and fires their change events. */
export async function fill(page: Page, fields: Fields): Promise<void> {
  for (const [id, value] of Object.entries(fields)) {
    const tag = await page.locator(`#${id}`).evaluate((el) => el.tagName);
    if (tag === 'SELECT') await page.selectOption(`#${id}`, value);
    else {
      await page.fill(`#${id}`, value);
      await page.locator(`#${id}`).dispatchEvent('change');
    }
  }
}

/** Fills the form, presses Start and waits until the worker trains. */
export async function startTraining(page: Page, fields: Fields): Promise<void> {
  await fill(page, fields);
  await page.click('#start');
  await page.waitForFunction(() => document.body.dataset.state === 'training', undefined, { timeout: 60_000 });
}

/** Waits until `predicate(snapshot)` holds, polling; throws with the last snapshot after `timeoutMs`. */
export async function waitForRun(page: Page, predicate: (s: Snapshot) => boolean, timeoutMs: number): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await snapshot(page);
    if (predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last: state ${s.state}, ${s.steps} steps, ${s.seconds.toFixed(1)} s, test accuracy ${JSON.stringify(s.testAccuracy.at(-1))}`);
    await page.waitForTimeout(250);
  }
}
