// The messages between the page (main.ts) and the training worker (worker/worker.ts).

/** The data sets the page offers: two generated 2D problems and the bundled MNIST subset. */
export type DatasetName = 'spiral' | 'moons' | 'mnist';
/** dense = DEQ with u0 = 0; skip = Skip DEQ; skipreg = Skip Reg DEQ; continuous = DEQ solved as an ODE steady state. */
export type ModelName = 'dense' | 'skip' | 'skipreg' | 'continuous';
export type SolverName = 'broyden' | 'anderson' | 'lbroyden' | 'newton' | 'fixedpoint' | 'tsit5' | 'vcabm3';
export type BackendChoice = 'webgl' | 'wasm' | 'cpu';
/** How the DEQ differentiates through its fixed point (the library's `gradient` option). */
export type GradientName = 'implicit' | 'jfb' | 'phantom';

/** What the solver is asked to do; can change while a run trains. */
export type SolverSettings = {
  readonly model: ModelName;
  readonly solver: SolverName;
  readonly abstol: number;
  readonly reltol: number;
  readonly maxiters: number;
  readonly gradient: GradientName;
};

/** Everything that defines a run. */
export type RunConfig = SolverSettings & {
  readonly dataset: DatasetName;
  readonly backend: BackendChoice;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Absolute URL of the bundled MNIST subset (the worker cannot resolve page-relative URLs). */
  readonly dataUrl: string;
};

export type ToWorker =
  | { readonly type: 'probe' }
  | { readonly type: 'start'; readonly config: RunConfig }
  | { readonly type: 'stop' }
  | { readonly type: 'resume' }
  | { readonly type: 'solver'; readonly settings: SolverSettings };

/** Residual norms per solver check, summarised over the batch. */
export type ResidualTrace = {
  readonly iteration: readonly number[];
  readonly max: readonly number[];
  readonly median: readonly number[];
  readonly min: readonly number[];
};

export type StepReport = {
  readonly step: number;
  /** Training seconds so far (paused time excluded). */
  readonly seconds: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Function evaluations of the forward solve of this batch. */
  readonly nfe: number;
  /** `tf.memory().numTensors` after the step. */
  readonly numTensors: number;
  /** The algorithm that solved this batch, e.g. 'Broyden'. */
  readonly solver: string;
  readonly status: string;
};

export type FromWorker =
  | {
      readonly type: 'backends';
      readonly available: readonly BackendChoice[];
      /** Remarks shown next to a backend's name, e.g. a software WebGL renderer. */
      readonly notes: Readonly<Record<string, string>>;
      readonly unavailable: Readonly<Record<string, string>>;
    }
  | { readonly type: 'state'; readonly state: 'idle' | 'loading' | 'training' | 'stopped'; readonly backend?: string; readonly message?: string }
  | { readonly type: 'steps'; readonly reports: readonly StepReport[] }
  | { readonly type: 'solve'; readonly step: number; readonly solver: string; readonly trace: ResidualTrace; readonly iterations: readonly number[] }
  | { readonly type: 'eval'; readonly step: number; readonly seconds: number; readonly testAccuracy: number }
  | {
      readonly type: 'boundary';
      readonly step: number;
      /** Class-1 probability on a `size × size` grid over `extent`, row by row from the top. */
      readonly probabilities: Float32Array;
      readonly size: number;
      readonly extent: readonly [number, number, number, number];
      readonly points: Float32Array;
      readonly labels: Int32Array;
    }
  | { readonly type: 'applied'; readonly settings: SolverSettings }
  | { readonly type: 'error'; readonly name: string; readonly message: string };
