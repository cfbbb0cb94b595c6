#!/usr/bin/env -S npx tsx
// deqts-experiment: reproduce the Skip DEQ / Continuous DEQ paper experiments.
// Usage: deqts-experiment [--experiment mnist-dense|mnist-conv|cifar10-small|neural-ode] [--profile quick|paper] …
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeqtsError } from '@deqts/core-layers';
import { parseExperimentArgs, VALID_FLAGS } from './cli-args.js';
import { resolveConfig } from './config.js';
import { runExperiment } from './run-experiment.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`deqts-experiment — flags: ${VALID_FLAGS.join(' ')}`);
  process.exit(0);
}
const parsed = parseExperimentArgs(argv);
if (E.isLeft(parsed)) {
  console.error(parsed.left.message);
  process.exit(2);
}
try {
  const config = resolveConfig(parsed.right);
  console.error(`deqts-experiment: ${config.experiment}, ${config.profile} profile → ${config.out}`);
  const { files } = await runExperiment(config);
  console.log(readFileSync(join(config.out, 'results.md'), 'utf8'));
  console.log(`wrote ${files.join(', ')}`);
} catch (e) {
  if (e instanceof DeqtsError) {
    console.error(`${e.name}: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
