/**
 * Butcher tableaus of the explicit Runge–Kutta methods (internal).
 * `a[i]` holds the coefficients of stage i+1 on stages 0..i (stage 0 is f at the step start).
 * With `fsal`, the last stage is evaluated at the new state (its row equals `b`), so it doubles
 * as the next step's first stage. `errorWeights` (b − b̂) give the embedded error estimate.
 */
export type Tableau = {
  readonly c: readonly number[];
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly errorWeights: readonly number[] | null;
  readonly fsal: boolean;
  /** Order of the propagated solution. */
  readonly order: number;
};

export const EULER: Tableau = { c: [0], a: [], b: [1], errorWeights: null, fsal: false, order: 1 };

export const RK4: Tableau = {
  c: [0, 0.5, 0.5, 1],
  a: [[0.5], [0, 0.5], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  errorWeights: null,
  fsal: false,
  order: 4,
};

/** Bogacki–Shampine 3(2), FSAL; used for the start-up steps of VCABM3. */
export const BS3: Tableau = {
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  errorWeights: [5 / 72, -1 / 12, -1 / 9, 1 / 8],
  fsal: true,
  order: 3,
};

/**
 * Tsitouras 5(4) (Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first
 * column simplifying assumption", Comput. Math. Appl. 62 (2011) 770–775), FSAL, 7 stages.
 * Coefficients as published (also used by OrdinaryDiffEq.jl's Tsit5).
 */
export const TSIT5: Tableau = {
  c: [0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1],
  a: [
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.8971530571054935, -6.359448489975075, 4.3622954328695815],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
    [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774],
  ],
  b: [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0],
  errorWeights: [
    0.00178001105222577714, 0.0008164344596567469, -0.007880878010261995, 0.1447110071732629, -0.5823571654525552,
    0.45808210592918697, -1 / 66,
  ],
  fsal: true,
  order: 5,
};
