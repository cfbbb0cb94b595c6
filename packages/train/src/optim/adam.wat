;; Adam's moment and update arithmetic in one pass, for tfjs's wasm backend (DEQ.ts, @deqts/train).
;;
;; Per element, in the order scaleByAdam's tfjs ops use (so the float32 results are the same):
;;   m' = m·b1 + g·a1,   v' = v·b2 + (g·g)·a2,   u = (m'·c1) / (√(v'·c2 + epsRoot) + eps)
;; with a1 = 1 − b1, a2 = 1 − b2 and c1, c2 the bias corrections (all rounded to float32 by the
;; caller, as tfjs rounds its scalar operands). The output is u, or with apply = 1 the parameter
;; step of chain(scaleByAdam, scale(s)) followed by applyUpdates, in those ops' order: p + u·s (p is
;; read only then).
;; Imports the backend's memory; pointers are byte offsets. Build: scripts/kernels/build-wasm-kernels.ts.
(module
  (import "env" "memory" (memory 0))

  (func (export "adam") (param $g i32) (param $m i32) (param $v i32) (param $p i32) (param $om i32) (param $ov i32) (param $ou i32) (param $n i32)
      (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $epsRoot f32)
      (param $s f32) (param $apply i32)
    (local $i i32) (local $end4 i32) (local $end i32)
    (local $vb1 v128) (local $va1 v128) (local $vb2 v128) (local $va2 v128) (local $vc1 v128) (local $vc2 v128) (local $veps v128) (local $vroot v128) (local $vs v128)
    (local $vg v128) (local $vm v128) (local $vv v128) (local $vu v128)
    (local $sg f32) (local $sm f32) (local $sv f32) (local $su f32)
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $va1 (f32x4.splat (local.get $a1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $va2 (f32x4.splat (local.get $a2)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vroot (f32x4.splat (local.get $epsRoot)))
    (local.set $vs (f32x4.splat (local.get $s)))
    (block $done (loop $simd
      (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $vg (v128.load (i32.add (local.get $g) (local.get $i))))
      (local.set $vm (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $vb1))
                                (f32x4.mul (local.get $vg) (local.get $va1))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $vb2))
                                (f32x4.mul (f32x4.mul (local.get $vg) (local.get $vg)) (local.get $va2))))
      (v128.store (i32.add (local.get $om) (local.get $i)) (local.get $vm))
      (v128.store (i32.add (local.get $ov) (local.get $i)) (local.get $vv))
      (local.set $vu (f32x4.div (f32x4.mul (local.get $vm) (local.get $vc1))
                   (f32x4.add (f32x4.sqrt (f32x4.add (f32x4.mul (local.get $vv) (local.get $vc2)) (local.get $vroot))) (local.get $veps))))
      (if (local.get $apply)
        (then (local.set $vu (f32x4.add (v128.load (i32.add (local.get $p) (local.get $i))) (f32x4.mul (local.get $vu) (local.get $vs))))))
      (v128.store (i32.add (local.get $ou) (local.get $i)) (local.get $vu))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $simd)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $sg (f32.load (i32.add (local.get $g) (local.get $i))))
      (local.set $sm (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $i))) (local.get $b1)) (f32.mul (local.get $sg) (local.get $a1))))
      (local.set $sv (f32.add (f32.mul (f32.load (i32.add (local.get $v) (local.get $i))) (local.get $b2))
                              (f32.mul (f32.mul (local.get $sg) (local.get $sg)) (local.get $a2))))
      (f32.store (i32.add (local.get $om) (local.get $i)) (local.get $sm))
      (f32.store (i32.add (local.get $ov) (local.get $i)) (local.get $sv))
      (local.set $su (f32.div (f32.mul (local.get $sm) (local.get $c1))
                 (f32.add (f32.sqrt (f32.add (f32.mul (local.get $sv) (local.get $c2)) (local.get $epsRoot))) (local.get $eps))))
      (if (local.get $apply)
        (then (local.set $su (f32.add (f32.load (i32.add (local.get $p) (local.get $i))) (f32.mul (local.get $su) (local.get $s))))))
      (f32.store (i32.add (local.get $ou) (local.get $i)) (local.get $su))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail))))

)
