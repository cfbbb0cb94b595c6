;; Elementwise float32 add, subtract and multiply for tfjs's wasm backend (DEQ.ts, @deqts/core-layers):
;; out[i] = a[i] op b[i mod period], i < n, where period divides n (period = n: equal shapes; a
;; smaller period: b repeated along a's leading axes, e.g. a bias row). Four lanes per vector, a
;; scalar tail per row. IEEE single-precision operations, as the stock kernels'. Imports the backend's
;; memory; pointers are byte offsets. Build: scripts/kernels/build-wasm-kernels.ts.
(module
  (import "env" "memory" (memory 0))

  ;; out[0 .. len) = a op b over one row.
  (func $addRow (param $out i32) (param $a i32) (param $b i32) (param $len i32)
    (local $i i32) (local $end4 i32) (local $end i32)
    (local.set $end4 (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.add (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.add (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail)))
  )
  ;; out[0 .. len) = a op b over one row.
  (func $subRow (param $out i32) (param $a i32) (param $b i32) (param $len i32)
    (local $i i32) (local $end4 i32) (local $end i32)
    (local.set $end4 (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.sub (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail)))
  )
  ;; out[0 .. len) = a op b over one row.
  (func $mulRow (param $out i32) (param $a i32) (param $b i32) (param $len i32)
    (local $i i32) (local $end4 i32) (local $end i32)
    (local.set $end4 (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $i))) (v128.load (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail)))
  )
  ;; out = a op b (op 0 add, 1 subtract, 2 multiply) with b repeating every period values.
  (func (export "binary") (param $op i32) (param $out i32) (param $a i32) (param $b i32) (param $n i32) (param $period i32)
    (local $r i32) (local $rows i32) (local $rowBytes i32)
    (local.set $rows (i32.div_u (local.get $n) (local.get $period)))
    (local.set $rowBytes (i32.shl (local.get $period) (i32.const 2)))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (if (i32.eqz (local.get $op))
        (then (call $addRow (local.get $out) (local.get $a) (local.get $b) (local.get $period)))
        (else (if (i32.eq (local.get $op) (i32.const 1))
          (then (call $subRow (local.get $out) (local.get $a) (local.get $b) (local.get $period)))
          (else (call $mulRow (local.get $out) (local.get $a) (local.get $b) (local.get $period))))))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (local.set $a (i32.add (local.get $a) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
  )
)
