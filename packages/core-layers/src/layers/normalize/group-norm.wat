;; Group normalisation's passes over a channels-last tensor [batch, positions, channels] for tfjs's
;; wasm backend (DEQ.ts, @deqts/core-layers): per-(sample, channel) sums over positions, and a
;; per-(sample, channel) linear combination. The group statistics and coefficients themselves are
;; computed on the host in float64 (group-norm-wasm.ts). Four channels per vector; the channels
;; past the last multiple of 4 are done one by one. Coefficient and statistics blocks are
;; [batch, channels]. Imports the backend's memory; pointers are byte offsets.
;; Build: scripts/kernels/build-wasm-kernels.ts.
(module
  (import "env" "memory" (memory 0))

  ;; o1[b, c] = Σ_p u[b, p, c];  o2[b, c] = Σ_p (u[b, p, c] − su[b, c]) · (v[b, p, c] − sv[b, c]).
  (func (export "chanstats") (param $o1 i32) (param $o2 i32) (param $u i32) (param $v i32) (param $su i32) (param $sv i32)
      (param $batch i32) (param $pos i32) (param $ch i32)
    (local $b i32) (local $c i32) (local $p i32) (local $row i32) (local $stat i32) (local $at i32) (local $stride i32) (local $end4 i32)
    (local $vsu v128) (local $vsv v128) (local $xu v128) (local $a1 v128) (local $a2 v128)
    (local $ssu f32) (local $ssv f32) (local $yu f32) (local $s1 f32) (local $s2 f32)
    (local.set $stride (i32.shl (local.get $ch) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $ch) (i32.const -4)))
    (block $batchDone (loop $sample
      (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $row (i32.mul (i32.mul (local.get $b) (local.get $pos)) (local.get $stride)))
      (local.set $stat (i32.mul (local.get $b) (local.get $stride)))
      (local.set $c (i32.const 0))
      (block $vecDone (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $c) (local.get $end4)))
        (local.set $at (i32.add (local.get $stat) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $vsu (v128.load (i32.add (local.get $su) (local.get $at))))
        (local.set $vsv (v128.load (i32.add (local.get $sv) (local.get $at))))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $at (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $p (local.get $pos))
        (block $posDone (loop $position
          (br_if $posDone (i32.eqz (local.get $p)))
          (local.set $xu (v128.load (i32.add (local.get $u) (local.get $at))))
          (local.set $a1 (f32x4.add (local.get $a1) (local.get $xu)))
          (local.set $a2 (f32x4.add (local.get $a2)
            (f32x4.mul (f32x4.sub (local.get $xu) (local.get $vsu))
                       (f32x4.sub (v128.load (i32.add (local.get $v) (local.get $at))) (local.get $vsv)))))
          (local.set $at (i32.add (local.get $at) (local.get $stride)))
          (local.set $p (i32.sub (local.get $p) (i32.const 1)))
          (br $position)))
        (local.set $at (i32.add (local.get $stat) (i32.shl (local.get $c) (i32.const 2))))
        (v128.store (i32.add (local.get $o1) (local.get $at)) (local.get $a1))
        (v128.store (i32.add (local.get $o2) (local.get $at)) (local.get $a2))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $vec)))
      (block $tailDone (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $c) (local.get $ch)))
        (local.set $at (i32.add (local.get $stat) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $ssu (f32.load (i32.add (local.get $su) (local.get $at))))
        (local.set $ssv (f32.load (i32.add (local.get $sv) (local.get $at))))
        (local.set $s1 (f32.const 0))
        (local.set $s2 (f32.const 0))
        (local.set $at (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $p (local.get $pos))
        (block $posDone (loop $position
          (br_if $posDone (i32.eqz (local.get $p)))
          (local.set $yu (f32.load (i32.add (local.get $u) (local.get $at))))
          (local.set $s1 (f32.add (local.get $s1) (local.get $yu)))
          (local.set $s2 (f32.add (local.get $s2)
            (f32.mul (f32.sub (local.get $yu) (local.get $ssu))
                     (f32.sub (f32.load (i32.add (local.get $v) (local.get $at))) (local.get $ssv)))))
          (local.set $at (i32.add (local.get $at) (local.get $stride)))
          (local.set $p (i32.sub (local.get $p) (i32.const 1)))
          (br $position)))
        (local.set $at (i32.add (local.get $stat) (i32.shl (local.get $c) (i32.const 2))))
        (f32.store (i32.add (local.get $o1) (local.get $at)) (local.get $s1))
        (f32.store (i32.add (local.get $o2) (local.get $at)) (local.get $s2))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tail)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $sample)))
  )

  ;; out[b, p, c] = u[b, p, c] · cu[b, c] + v[b, p, c] · cv[b, c] + c0[b, c].
  (func (export "lincomb") (param $out i32) (param $u i32) (param $v i32) (param $cu i32) (param $cv i32) (param $c0 i32)
      (param $batch i32) (param $pos i32) (param $ch i32)
    (local $b i32) (local $c i32) (local $p i32) (local $row i32) (local $stat i32) (local $at i32) (local $st i32) (local $stride i32) (local $end4 i32)
    (local.set $stride (i32.shl (local.get $ch) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $ch) (i32.const -4)))
    (block $batchDone (loop $sample
      (br_if $batchDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $stat (i32.mul (local.get $b) (local.get $stride)))
      (local.set $row (i32.mul (i32.mul (local.get $b) (local.get $pos)) (local.get $stride)))
      (local.set $p (local.get $pos))
      (block $posDone (loop $position
        (br_if $posDone (i32.eqz (local.get $p)))
        (local.set $c (i32.const 0))
        (block $vecDone (loop $vec
          (br_if $vecDone (i32.ge_u (local.get $c) (local.get $end4)))
          (local.set $at (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $st (i32.add (local.get $stat) (i32.shl (local.get $c) (i32.const 2))))
          (v128.store (i32.add (local.get $out) (local.get $at))
            (f32x4.add
              (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $u) (local.get $at))) (v128.load (i32.add (local.get $cu) (local.get $st))))
                         (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $at))) (v128.load (i32.add (local.get $cv) (local.get $st)))))
              (v128.load (i32.add (local.get $c0) (local.get $st)))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $vec)))
        (block $tailDone (loop $tail
          (br_if $tailDone (i32.ge_u (local.get $c) (local.get $ch)))
          (local.set $at (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $st (i32.add (local.get $stat) (i32.shl (local.get $c) (i32.const 2))))
          (f32.store (i32.add (local.get $out) (local.get $at))
            (f32.add
              (f32.add (f32.mul (f32.load (i32.add (local.get $u) (local.get $at))) (f32.load (i32.add (local.get $cu) (local.get $st))))
                       (f32.mul (f32.load (i32.add (local.get $v) (local.get $at))) (f32.load (i32.add (local.get $cv) (local.get $st)))))
              (f32.load (i32.add (local.get $c0) (local.get $st)))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $tail)))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (br $position)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $sample)))
  )
)
