;; Sums over the leading axes for tfjs's wasm backend (DEQ.ts, @deqts/core-layers): x viewed as
;; rows × cols (row-major), out[j] = Σ_i x[i, j], each column summed from 0 in row order in float32,
;; the order tfjs's own Sum uses after transposing the reduced axes to the end, so results are
;; bit-identical to it without the transposition. Four vectors (16 columns) per block, then single
;; vectors, then scalar columns. Pointers are byte offsets in the backend's memory.
;; Build: scripts/kernels/build-wasm-kernels.ts.

(module
  (import "env" "memory" (memory 0))

  (func (export "columnSum") (param $out i32) (param $x i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $i i32) (local $p i32) (local $rowBytes i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $s f32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    ;; blocks of 16 columns
    (block $done16 (loop $block16
      (br_if $done16 (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $cols)))
      (local.set $s0 (v128.const i32x4 0 0 0 0))
      (local.set $s1 (v128.const i32x4 0 0 0 0))
      (local.set $s2 (v128.const i32x4 0 0 0 0))
      (local.set $s3 (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (local.get $rows))
      (block $rowsDone (loop $row
        (br_if $rowsDone (i32.eqz (local.get $i)))
        (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $p))))
        (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16 (local.get $p))))
        (local.set $s2 (f32x4.add (local.get $s2) (v128.load offset=32 (local.get $p))))
        (local.set $s3 (f32x4.add (local.get $s3) (v128.load offset=48 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $row)))
      (local.set $p (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store offset=0 (local.get $p) (local.get $s0))
      (v128.store offset=16 (local.get $p) (local.get $s1))
      (v128.store offset=32 (local.get $p) (local.get $s2))
      (v128.store offset=48 (local.get $p) (local.get $s3))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $block16)))
    ;; blocks of 4 columns
    (block $done4 (loop $block4
      (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
      (local.set $s0 (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (local.get $rows))
      (block $rowsDone (loop $row
        (br_if $rowsDone (i32.eqz (local.get $i)))
        (local.set $s0 (f32x4.add (local.get $s0) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $row)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s0))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $block4)))
    ;; single columns
    (block $done1 (loop $column
      (br_if $done1 (i32.ge_u (local.get $j) (local.get $cols)))
      (local.set $s (f32.const 0))
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (local.get $rows))
      (block $rowsDone (loop $row
        (br_if $rowsDone (i32.eqz (local.get $i)))
        (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $row)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $column)))
  )
)
