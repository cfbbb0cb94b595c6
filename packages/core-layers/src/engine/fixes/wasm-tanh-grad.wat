;; The gradient of tanh from its output for tfjs's wasm backend (DEQ.ts, @deqts/core-layers):
;; dx = dy · (1 − y·y), in the same float32 operations and order as tfjs's op path (square, then
;; 1 − it, then the product), so the result is bit-identical to it; one pass instead of three
;; kernels. Four lanes per vector; a scalar loop for the last n mod 4. Pointers are byte offsets in
;; the backend's memory. Build: scripts/kernels/build-wasm-kernels.ts.

(module
  (import "env" "memory" (memory 0))

  ;; out[i] = dy[i] · (1 − y[i]·y[i]), i < n.
  (func (export "tanhGrad") (param $out i32) (param $dy i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end4 i32) (local $end i32) (local $v v128) (local $s f32)
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $v (v128.load (i32.add (local.get $y) (local.get $i))))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.mul
          (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $v) (local.get $v)))
          (v128.load (i32.add (local.get $dy) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $s (f32.load (i32.add (local.get $y) (local.get $i))))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.mul (f32.sub (f32.const 1) (f32.mul (local.get $s) (local.get $s))) (f32.load (i32.add (local.get $dy) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail)))
  )
)
