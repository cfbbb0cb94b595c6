;; Fused solver kernels for tfjs's wasm backend (DEQ.ts, @deqts/solvers): Anderson's mixing and
;; bookkeeping, GMRES's Gram–Schmidt step and Broyden's low-rank inverse-Jacobian product.
;;
;; The module imports the wasm backend's own memory, so it reads and writes tensors where they
;; live. Every pointer is a byte offset into that memory; every tensor is a row-major float32
;; [B, n] array (row b = sample b). Loops run four lanes at a time (wasm SIMD) with a scalar tail
;; for n not divisible by 4. Build: `npx tsx scripts/kernels/build-wasm-kernels.ts`, which writes
;; kernels-wasm.ts (the module's bytes); a test checks the two agree.

(module
  (import "env" "memory" (memory 0))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $hmax (param $v v128) (result f32)
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; out[i] = x[i] + a·y[i], i < n (one row).
  (func $axpby_row (param $out i32) (param $x i32) (param $y i32) (param $a f32) (param $n i32)
    (local $i i32) (local $end4 i32) (local $av v128)
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $av (f32x4.splat (local.get $a)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (f32x4.add (v128.load (i32.add (local.get $x) (local.get $i)))
                   (f32x4.mul (local.get $av) (v128.load (i32.add (local.get $y) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.add (f32.load (i32.add (local.get $x) (local.get $i)))
                 (f32.mul (local.get $a) (f32.load (i32.add (local.get $y) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail))))

  ;; ⟨x, y⟩ over one row of n values.
  (func $dot_row (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $i i32) (local $end4 i32) (local $acc v128) (local $s f32)
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $y) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (local.set $s (call $hsum (local.get $acc)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $s (f32.add (local.get $s)
        (f32.mul (f32.load (i32.add (local.get $x) (local.get $i))) (f32.load (i32.add (local.get $y) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail)))
    (local.get $s))

;; out[i] = x[i], i < n (one row).
  (func $copy_row (param $out i32) (param $x i32) (param $n i32)
    (local $i i32) (local $end4 i32)
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (v128.store (i32.add (local.get $out) (local.get $i)) (v128.load (i32.add (local.get $x) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (i32.shl (local.get $n) (i32.const 2))))
      (f32.store (i32.add (local.get $out) (local.get $i)) (f32.load (i32.add (local.get $x) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail))))

  ;; The Anderson step: for each running row b (active[b] ≠ 0)
  ;;   out[b] = u[b] + β·r[b] − Σⱼ γ[j·B + b]·Mⱼ[b],   j < k (subtracted in order j = 0, 1, …),
  ;; and out[b] = u[b] for a frozen row. mptrs holds the k pointers Mⱼ (i32), gamma k·B floats,
  ;; active B bytes (a bool tensor).
  (func (export "mix") (param $out i32) (param $u i32) (param $r i32) (param $beta f32)
      (param $mptrs i32) (param $gamma i32) (param $k i32) (param $active i32) (param $B i32) (param $n i32)
    (local $b i32) (local $j i32) (local $off i32) (local $rowBytes i32) (local $row i32) (local $g f32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $off (i32.mul (local.get $b) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $out) (local.get $off)))
      (if (i32.load8_u (i32.add (local.get $active) (local.get $b)))
        (then
          (call $axpby_row (local.get $row) (i32.add (local.get $u) (local.get $off))
            (i32.add (local.get $r) (local.get $off)) (local.get $beta) (local.get $n))
          (local.set $j (i32.const 0))
          (block $mix_done (loop $mix
            (br_if $mix_done (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $g (f32.load (i32.add (local.get $gamma)
              (i32.shl (i32.add (i32.mul (local.get $j) (local.get $B)) (local.get $b)) (i32.const 2)))))
            (call $axpby_row (local.get $row) (local.get $row)
              (i32.add (i32.load (i32.add (local.get $mptrs) (i32.shl (local.get $j) (i32.const 2)))) (local.get $off))
              (f32.neg (local.get $g)) (local.get $n))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $mix))))
        (else
          (call $copy_row (local.get $row) (i32.add (local.get $u) (local.get $off)) (local.get $n))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))

  ;; After f: with next = the new iterate, fu = f(next), r = the previous residual and u = the
  ;; previous iterate, for every row
  ;;   rOut = fu − next,  dgOut = rOut − r,  mixOut = (next − u) + β·dgOut,
  ;; and a row of W = k + 6 statistics at stats + b·W·4:
  ;;   ⟨dg, Gⱼ⟩ for the k stored differences Gⱼ (pointers in gptrs), ⟨dg, dg⟩, ⟨rOut, dg⟩,
  ;;   ‖rOut‖², ‖fu‖², max|rOut|, max|fu|.
  (func (export "post") (param $next i32) (param $fu i32) (param $r i32) (param $u i32) (param $beta f32)
      (param $rOut i32) (param $dgOut i32) (param $mixOut i32) (param $gptrs i32) (param $k i32) (param $stats i32)
      (param $B i32) (param $n i32)
    (local $b i32) (local $i i32) (local $j i32) (local $off i32) (local $rowBytes i32) (local $end4 i32) (local $end i32)
    (local $srow i32) (local $dgrow i32)
    (local $vnx v128) (local $vf v128) (local $vrn v128) (local $vdg v128) (local $vbeta v128)
    (local $add v128) (local $ard v128) (local $arr v128) (local $aff v128) (local $amr v128) (local $amf v128)
    (local $nx f32) (local $f f32) (local $rn f32) (local $dg f32)
    (local $sdd f32) (local $srd f32) (local $srr f32) (local $sff f32) (local $smr f32) (local $smf f32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (local.get $rowBytes))
    (local.set $vbeta (f32x4.splat (local.get $beta)))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $off (i32.mul (local.get $b) (local.get $rowBytes)))
      (local.set $add (v128.const f32x4 0 0 0 0))
      (local.set $ard (v128.const f32x4 0 0 0 0))
      (local.set $arr (v128.const f32x4 0 0 0 0))
      (local.set $aff (v128.const f32x4 0 0 0 0))
      (local.set $amr (v128.const f32x4 0 0 0 0))
      (local.set $amf (v128.const f32x4 0 0 0 0))
      (local.set $i (local.get $off))
      (local.set $end4 (i32.add (local.get $off) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
      (local.set $end (i32.add (local.get $off) (local.get $rowBytes)))
      (block $done (loop $simd
        (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $vnx (v128.load (i32.add (local.get $next) (local.get $i))))
        (local.set $vf (v128.load (i32.add (local.get $fu) (local.get $i))))
        (local.set $vrn (f32x4.sub (local.get $vf) (local.get $vnx)))
        (local.set $vdg (f32x4.sub (local.get $vrn) (v128.load (i32.add (local.get $r) (local.get $i)))))
        (v128.store (i32.add (local.get $rOut) (local.get $i)) (local.get $vrn))
        (v128.store (i32.add (local.get $dgOut) (local.get $i)) (local.get $vdg))
        (v128.store (i32.add (local.get $mixOut) (local.get $i))
          (f32x4.add (f32x4.sub (local.get $vnx) (v128.load (i32.add (local.get $u) (local.get $i))))
                     (f32x4.mul (local.get $vbeta) (local.get $vdg))))
        (local.set $add (f32x4.add (local.get $add) (f32x4.mul (local.get $vdg) (local.get $vdg))))
        (local.set $ard (f32x4.add (local.get $ard) (f32x4.mul (local.get $vrn) (local.get $vdg))))
        (local.set $arr (f32x4.add (local.get $arr) (f32x4.mul (local.get $vrn) (local.get $vrn))))
        (local.set $aff (f32x4.add (local.get $aff) (f32x4.mul (local.get $vf) (local.get $vf))))
        (local.set $amr (f32x4.max (local.get $amr) (f32x4.abs (local.get $vrn))))
        (local.set $amf (f32x4.max (local.get $amf) (f32x4.abs (local.get $vf))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $simd)))
      (local.set $sdd (call $hsum (local.get $add)))
      (local.set $srd (call $hsum (local.get $ard)))
      (local.set $srr (call $hsum (local.get $arr)))
      (local.set $sff (call $hsum (local.get $aff)))
      (local.set $smr (call $hmax (local.get $amr)))
      (local.set $smf (call $hmax (local.get $amf)))
      (block $done (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $nx (f32.load (i32.add (local.get $next) (local.get $i))))
        (local.set $f (f32.load (i32.add (local.get $fu) (local.get $i))))
        (local.set $rn (f32.sub (local.get $f) (local.get $nx)))
        (local.set $dg (f32.sub (local.get $rn) (f32.load (i32.add (local.get $r) (local.get $i)))))
        (f32.store (i32.add (local.get $rOut) (local.get $i)) (local.get $rn))
        (f32.store (i32.add (local.get $dgOut) (local.get $i)) (local.get $dg))
        (f32.store (i32.add (local.get $mixOut) (local.get $i))
          (f32.add (f32.sub (local.get $nx) (f32.load (i32.add (local.get $u) (local.get $i))))
                   (f32.mul (local.get $beta) (local.get $dg))))
        (local.set $sdd (f32.add (local.get $sdd) (f32.mul (local.get $dg) (local.get $dg))))
        (local.set $srd (f32.add (local.get $srd) (f32.mul (local.get $rn) (local.get $dg))))
        (local.set $srr (f32.add (local.get $srr) (f32.mul (local.get $rn) (local.get $rn))))
        (local.set $sff (f32.add (local.get $sff) (f32.mul (local.get $f) (local.get $f))))
        (local.set $smr (f32.max (local.get $smr) (f32.abs (local.get $rn))))
        (local.set $smf (f32.max (local.get $smf) (f32.abs (local.get $f))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tail)))
      (local.set $srow (i32.add (local.get $stats) (i32.shl (i32.mul (local.get $b) (i32.add (local.get $k) (i32.const 6))) (i32.const 2))))
      (local.set $dgrow (i32.add (local.get $dgOut) (local.get $off)))
      (local.set $j (i32.const 0))
      (block $gram_done (loop $gram
        (br_if $gram_done (i32.ge_u (local.get $j) (local.get $k)))
        (f32.store (i32.add (local.get $srow) (i32.shl (local.get $j) (i32.const 2)))
          (call $dot_row (local.get $dgrow)
            (i32.add (i32.load (i32.add (local.get $gptrs) (i32.shl (local.get $j) (i32.const 2)))) (local.get $off))
            (local.get $n)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $gram)))
      (local.set $srow (i32.add (local.get $srow) (i32.shl (local.get $k) (i32.const 2))))
      (f32.store offset=0 (local.get $srow) (local.get $sdd))
      (f32.store offset=4 (local.get $srow) (local.get $srd))
      (f32.store offset=8 (local.get $srow) (local.get $srr))
      (f32.store offset=12 (local.get $srow) (local.get $sff))
      (f32.store offset=16 (local.get $srow) (local.get $smr))
      (f32.store offset=20 (local.get $srow) (local.get $smf))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))
;; Modified Gram–Schmidt of a new Krylov vector w against k basis vectors Vᵢ (pointers in vptrs),
  ;; per row: out[b] = w[b]; for i < k: h = ⟨out[b], Vᵢ[b]⟩, out[b] −= h·Vᵢ[b], hcol[b·(k+1) + i] = h;
  ;; then hcol[b·(k+1) + k] = ‖out[b]‖₂.
  (func (export "mgs") (param $out i32) (param $w i32) (param $vptrs i32) (param $k i32) (param $hcol i32)
      (param $B i32) (param $n i32)
    (local $b i32) (local $i i32) (local $off i32) (local $row i32) (local $hrow i32) (local $v i32) (local $h f32)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $off (i32.mul (local.get $b) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $row (i32.add (local.get $out) (local.get $off)))
      (local.set $hrow (i32.add (local.get $hcol) (i32.shl (i32.mul (local.get $b) (i32.add (local.get $k) (i32.const 1))) (i32.const 2))))
      (call $copy_row (local.get $row) (i32.add (local.get $w) (local.get $off)) (local.get $n))
      (local.set $i (i32.const 0))
      (block $gs_done (loop $gs
        (br_if $gs_done (i32.ge_u (local.get $i) (local.get $k)))
        (local.set $v (i32.add (i32.load (i32.add (local.get $vptrs) (i32.shl (local.get $i) (i32.const 2)))) (local.get $off)))
        (local.set $h (call $dot_row (local.get $row) (local.get $v) (local.get $n)))
        (f32.store (i32.add (local.get $hrow) (i32.shl (local.get $i) (i32.const 2))) (local.get $h))
        (call $axpby_row (local.get $row) (local.get $row) (local.get $v) (f32.neg (local.get $h)) (local.get $n))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $gs)))
      (f32.store (i32.add (local.get $hrow) (i32.shl (local.get $k) (i32.const 2)))
        (f32.sqrt (call $dot_row (local.get $row) (local.get $row) (local.get $n))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))
;; Product with a low-rank update of the identity, applied factor by factor (Broyden's inverse
  ;; Jacobian estimate), per row: out[b] = x[b]; for j < k: out[b] += ⟨out[b], Dⱼ[b]⟩·Aⱼ[b], with
  ;; the pointers of Dⱼ in dptrs and of Aⱼ in aptrs.
  (func (export "lowrank") (param $out i32) (param $x i32) (param $dptrs i32) (param $aptrs i32) (param $k i32)
      (param $B i32) (param $n i32)
    (local $b i32) (local $j i32) (local $off i32) (local $row i32) (local $c f32)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $off (i32.mul (local.get $b) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $row (i32.add (local.get $out) (local.get $off)))
      (call $copy_row (local.get $row) (i32.add (local.get $x) (local.get $off)) (local.get $n))
      (local.set $j (i32.const 0))
      (block $done (loop $factors
        (br_if $done (i32.ge_u (local.get $j) (local.get $k)))
        (local.set $c (call $dot_row (local.get $row)
          (i32.add (i32.load (i32.add (local.get $dptrs) (i32.shl (local.get $j) (i32.const 2)))) (local.get $off))
          (local.get $n)))
        (call $axpby_row (local.get $row) (local.get $row)
          (i32.add (i32.load (i32.add (local.get $aptrs) (i32.shl (local.get $j) (i32.const 2)))) (local.get $off))
          (local.get $c) (local.get $n))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $factors)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows))))
)
