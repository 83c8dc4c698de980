;; The resampling kernels of lib/resize.ts in WebAssembly SIMD (compiled to resample-wasm.ts by
;; scripts/build-kernels.ts). Each pass is a weighted sum of whole rows, four lanes at a time:
;; the one shape SIMD does well. The caller lays out every buffer in linear memory and
;; passes byte addresses; taps are (start row, count, `tapStride` f32 weights) per output row.

(module
  (memory (export "memory") 0)

  ;; Bytes to floats, 16 at a time (`bytes` rounded up to 16): done once per source row, so
  ;; the passes after read each sample as a float however many taps use it (a vertical pass
  ;; that widened bytes at every tap spent half its time widening).
  (func (export "widenU8")
    (param $src i32) (param $bytes i32) (param $dst i32)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local.set $end (i32.add (local.get $src) (local.get $bytes)))
    (block $done
      (loop $bytesLoop
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        (v128.store offset=0 (local.get $dst)
          (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo))))
        (v128.store offset=16 (local.get $dst)
          (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo))))
        (v128.store offset=32 (local.get $dst)
          (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi))))
        (v128.store offset=48 (local.get $dst)
          (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $hi))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (br $bytesLoop))))

  ;; As widenU8 for RGBA pixels, each premultiplied by its alpha: (r*a, g*a, b*a, a), so
  ;; transparent pixels lend no colour.
  (func (export "widenU8Premultiplied")
    (param $src i32) (param $bytes i32) (param $dst i32)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local.set $end (i32.add (local.get $src) (local.get $bytes)))
    (block $done
      (loop $bytesLoop
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        (v128.store offset=0 (local.get $dst)
          (call $premultiplied (i32x4.extend_low_i16x8_u (local.get $lo))))
        (v128.store offset=16 (local.get $dst)
          (call $premultiplied (i32x4.extend_high_i16x8_u (local.get $lo))))
        (v128.store offset=32 (local.get $dst)
          (call $premultiplied (i32x4.extend_low_i16x8_u (local.get $hi))))
        (v128.store offset=48 (local.get $dst)
          (call $premultiplied (i32x4.extend_high_i16x8_u (local.get $hi))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (br $bytesLoop))))

  ;; One pixel (r, g, b, a) as floats (r*a, g*a, b*a, a).
  (func $premultiplied (param $pixel v128) (result v128)
    (local $f v128)
    (local.set $f (f32x4.convert_i32x4_u (local.get $pixel)))
    (f32x4.mul (local.get $f)
      (f32x4.replace_lane 3
        (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15
          (local.get $f) (local.get $f))
        (f32.const 1))))

  ;; dst[y][x] = sum over t of weight[y][t] * src[start[y] + t][x] for f32 rows (`srcStride`
  ;; floats), 16 samples at a time: `width` rounded up to 16 (dstStride too; reads past a
  ;; row's end are harmless, the caller pads the buffer).
  (func (export "verticalF32")
    (param $src i32) (param $srcStride i32) (param $width i32)
    (param $dst i32) (param $dstStride i32) (param $rows i32)
    (param $start i32) (param $count i32) (param $weights i32) (param $tapStride i32)
    (local $y i32) (local $x i32) (local $t i32) (local $n i32) (local $base i32)
    (local $wp i32) (local $p i32) (local $o i32) (local $step i32)
    (local $w v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $step (i32.shl (local.get $srcStride) (i32.const 2)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $base
          (i32.add (local.get $src)
            (i32.mul (i32.load (i32.add (local.get $start) (i32.shl (local.get $y) (i32.const 2))))
                     (local.get $step))))
        (local.set $n (i32.load (i32.add (local.get $count) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $wp (i32.add (local.get $weights)
          (i32.shl (i32.mul (local.get $y) (local.get $tapStride)) (i32.const 2))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colsLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $p (i32.add (local.get $base) (i32.shl (local.get $x) (i32.const 2))))
            (local.set $t (i32.const 0))
            (block $tapsDone
              (loop $tapsLoop
                (br_if $tapsDone (i32.ge_u (local.get $t) (local.get $n)))
                (local.set $w (f32x4.splat
                  (f32.load (i32.add (local.get $wp) (i32.shl (local.get $t) (i32.const 2))))))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.mul (local.get $w) (v128.load offset=0 (local.get $p)))))
                (local.set $a1 (f32x4.add (local.get $a1)
                  (f32x4.mul (local.get $w) (v128.load offset=16 (local.get $p)))))
                (local.set $a2 (f32x4.add (local.get $a2)
                  (f32x4.mul (local.get $w) (v128.load offset=32 (local.get $p)))))
                (local.set $a3 (f32x4.add (local.get $a3)
                  (f32x4.mul (local.get $w) (v128.load offset=48 (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (local.get $step)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tapsLoop)))
            (local.set $o (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $y) (local.get $dstStride)) (local.get $x))
                       (i32.const 2))))
            (v128.store offset=0 (local.get $o) (local.get $a0))
            (v128.store offset=16 (local.get $o) (local.get $a1))
            (v128.store offset=32 (local.get $o) (local.get $a2))
            (v128.store offset=48 (local.get $o) (local.get $a3))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $colsLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowsLoop))))

  ;; dst[y][x] = sum over t of weight[x][t] * src[y][start[x] + t] for RGBA pixels held as
  ;; four floats (one v128 each): src rows `srcStride` floats, dst rows `width` pixels.
  (func (export "horizontalRgba")
    (param $src i32) (param $srcStride i32) (param $width i32)
    (param $dst i32) (param $rows i32)
    (param $start i32) (param $count i32) (param $weights i32) (param $tapStride i32)
    (local $y i32) (local $x i32) (local $t i32) (local $n i32) (local $row i32)
    (local $wp i32) (local $p i32) (local $o i32) (local $acc v128)
    (local.set $o (local.get $dst))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src)
          (i32.shl (i32.mul (local.get $y) (local.get $srcStride)) (i32.const 2))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colsLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $p (i32.add (local.get $row) (i32.shl
              (i32.load (i32.add (local.get $start) (i32.shl (local.get $x) (i32.const 2))))
              (i32.const 4))))
            (local.set $n (i32.load (i32.add (local.get $count) (i32.shl (local.get $x) (i32.const 2)))))
            (local.set $wp (i32.add (local.get $weights)
              (i32.shl (i32.mul (local.get $x) (local.get $tapStride)) (i32.const 2))))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $t (i32.const 0))
            (block $tapsDone
              (loop $tapsLoop
                (br_if $tapsDone (i32.ge_u (local.get $t) (local.get $n)))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
                  (f32x4.splat (f32.load (i32.add (local.get $wp) (i32.shl (local.get $t) (i32.const 2)))))
                  (v128.load (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tapsLoop)))
            (v128.store (local.get $o) (local.get $acc))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $colsLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowsLoop))))

  ;; dst[x][y] = src[y][x] for a `width` x `height` block of floats (strides in floats), in
  ;; 4x4 tiles: both sizes are rounded up to 4, so the caller sizes both buffers for that.
  (func (export "transposeF32")
    (param $src i32) (param $srcStride i32) (param $width i32) (param $height i32)
    (param $dst i32) (param $dstStride i32)
    (local $y i32) (local $x i32) (local $p i32) (local $o i32)
    (local $in i32) (local $out i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $in (i32.shl (local.get $srcStride) (i32.const 2)))
    (local.set $out (i32.shl (local.get $dstStride) (i32.const 2)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colsLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $p (i32.add (local.get $src) (i32.shl
              (i32.add (i32.mul (local.get $y) (local.get $srcStride)) (local.get $x)) (i32.const 2))))
            (local.set $r0 (v128.load (local.get $p)))
            (local.set $r1 (v128.load (i32.add (local.get $p) (local.get $in))))
            (local.set $r2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $in) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $in) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $o (i32.add (local.get $dst) (i32.shl
              (i32.add (i32.mul (local.get $x) (local.get $dstStride)) (local.get $y)) (i32.const 2))))
            (v128.store (local.get $o)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $o) (local.get $out))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $o) (i32.shl (local.get $out) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $o) (i32.mul (local.get $out) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $colsLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $rowsLoop))))

  ;; Float RGBA pixels to bytes, rounded half to even and clamped to 0-255, four at a time
  ;; (`pixels` rounded up to 4). Premultiplied sums are divided by their alpha first (none
  ;; left: black); `opaque` sets alpha to 255.
  (func (export "packRgba")
    (param $src i32) (param $pixels i32) (param $dst i32) (param $premultiplied i32)
    (param $opaque i32)
    (local $i i32) (local $p i32) (local $o i32) (local $mask v128)
    (local.set $mask (select (result v128)
      (v128.const i32x4 0xff000000 0xff000000 0xff000000 0xff000000)
      (v128.const i32x4 0 0 0 0) (local.get $opaque)))
    (local.set $p (local.get $src))
    (local.set $o (local.get $dst))
    (block $done
      (loop $pixelsLoop
        (br_if $done (i32.ge_u (local.get $i) (local.get $pixels)))
        (v128.store (local.get $o) (v128.or (local.get $mask)
          (if (result v128) (local.get $premultiplied)
            (then
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (call $unpremultiplied (v128.load offset=0 (local.get $p)))
                  (call $unpremultiplied (v128.load offset=16 (local.get $p))))
                (i16x8.narrow_i32x4_s
                  (call $unpremultiplied (v128.load offset=32 (local.get $p)))
                  (call $unpremultiplied (v128.load offset=48 (local.get $p))))))
            (else
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (v128.load offset=0 (local.get $p))))
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (v128.load offset=16 (local.get $p)))))
                (i16x8.narrow_i32x4_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (v128.load offset=32 (local.get $p))))
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (v128.load offset=48 (local.get $p))))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $pixelsLoop))))

  ;; One premultiplied float pixel as rounded integers, its colour divided by its alpha (none
  ;; left: black).
  (func $unpremultiplied (param $pixel v128) (result v128)
    (local $alpha f32)
    (local.set $alpha (f32x4.extract_lane 3 (local.get $pixel)))
    (i32x4.trunc_sat_f32x4_s (f32x4.nearest
      (if (result v128) (f32.gt (local.get $alpha) (f32.const 0))
        (then (f32x4.mul (local.get $pixel)
          (f32x4.replace_lane 3
            (f32x4.splat (f32.div (f32.const 1) (local.get $alpha)))
            (f32.const 1))))
        (else (v128.const i32x4 0 0 0 0))))))

  ;; Three float planes (`stride` floats a row) to RGBA bytes (`width` pixels a row), four
  ;; pixels at a time: YCbCr converted to RGB (JFIF, as lib/jpeg/color.ts) when `ycc`, else
  ;; taken as R, G and B; rounded half to even, clamped, alpha 255. A row's last store may
  ;; spill into the next row's start, which that row then writes; the caller pads the end.
  (func (export "planesToRgba")
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $stride i32) (param $width i32)
    (param $height i32) (param $dst i32) (param $ycc i32)
    (local $y i32) (local $x i32) (local $in i32) (local $o i32)
    (local $a v128) (local $b v128) (local $c v128)
    (local $r v128) (local $g v128) (local $bl v128)
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $in (i32.shl (i32.mul (local.get $y) (local.get $stride)) (i32.const 2)))
        (local.set $o (i32.add (local.get $dst)
          (i32.shl (i32.mul (local.get $y) (local.get $width)) (i32.const 2))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colsLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $a (v128.load (i32.add (local.get $p0) (local.get $in))))
            (local.set $b (v128.load (i32.add (local.get $p1) (local.get $in))))
            (local.set $c (v128.load (i32.add (local.get $p2) (local.get $in))))
            (if (local.get $ycc)
              (then
                (local.set $b (f32x4.sub (local.get $b) (f32x4.splat (f32.const 128))))
                (local.set $c (f32x4.sub (local.get $c) (f32x4.splat (f32.const 128))))
                (local.set $r (f32x4.add (local.get $a)
                  (f32x4.mul (local.get $c) (f32x4.splat (f32.const 1.402)))))
                (local.set $g (f32x4.sub (f32x4.sub (local.get $a)
                  (f32x4.mul (local.get $b) (f32x4.splat (f32.const 0.34414))))
                  (f32x4.mul (local.get $c) (f32x4.splat (f32.const 0.71414)))))
                (local.set $bl (f32x4.add (local.get $a)
                  (f32x4.mul (local.get $b) (f32x4.splat (f32.const 1.772))))))
              (else
                (local.set $r (local.get $a))
                (local.set $g (local.get $b))
                (local.set $bl (local.get $c))))
            (v128.store (local.get $o)
              (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
                (i8x16.narrow_i16x8_u
                  (i16x8.narrow_i32x4_s
                    (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $r)))
                    (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $g))))
                  (i16x8.narrow_i32x4_s
                    (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $bl)))
                    (v128.const i32x4 255 255 255 255)))
                (v128.const i32x4 0 0 0 0)))
            (local.set $in (i32.add (local.get $in) (i32.const 16)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $colsLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowsLoop))))
)
