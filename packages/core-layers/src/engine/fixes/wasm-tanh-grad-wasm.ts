// Generated from wasm-tanh-grad.wat by scripts/kernels/build-wasm-kernels.ts; do not edit.
/** The compiled bytes of wasm-tanh-grad.wat, base64. */
export const WASM_BASE64 =
  'AGFzbQEAAAABCAFgBH9/f38AAg8BA2VudgZtZW1vcnkCAAADAgEABwwBCHRhbmhHcmFkAAAKqgEBpwEDA38BewF9IANBfHFBAnQh' +
  'BSADQQJ0IQYCQANAIAQgBU8NASACIARq/QAEACEHIAAgBGr9DAAAgD8AAIA/AACAPwAAgD8gByAH/eYB/eUBIAEgBGr9AAQA/eYB' +
  '/QsEACAEQRBqIQQMAAsLAkADQCAEIAZPDQEgAiAEaioCACEIIAAgBGpDAACAPyAIIAiUkyABIARqKgIAlDgCACAEQQRqIQQMAAsL' +
  'Cw==';
