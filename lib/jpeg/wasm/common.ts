/**
 * Plain memory access by address, for the JPEG scan decoder (scan.ts) and encoder (encode.ts),
 * and the fixed-point constants of libjpeg's accurate integer IDCT (jidctint.c).
 */

export const CONST_BITS = 13;
export const PASS1_BITS = 2;

export const FIX_0_211164243 = 1730;
export const FIX_0_298631336 = 2446;
export const FIX_0_366025404 = 2998;
export const FIX_0_390180644 = 3196;
export const FIX_0_509795579 = 4176;
export const FIX_0_541196100 = 4433;
export const FIX_0_601344887 = 4926;
export const FIX_0_707106781 = 5793;
export const FIX_0_720959822 = 5906;
export const FIX_0_765366865 = 6270;
export const FIX_0_850430095 = 6967;
export const FIX_0_899976223 = 7373;
export const FIX_1_061594337 = 8697;
export const FIX_1_175875602 = 9633;
export const FIX_1_224744871 = 10033;
export const FIX_1_272758580 = 10426;
export const FIX_1_451774981 = 11893;
export const FIX_1_501321110 = 12299;
export const FIX_1_847759065 = 15137;
export const FIX_1_961570560 = 16069;
export const FIX_2_053119869 = 16819;
export const FIX_2_172734803 = 17799;
export const FIX_2_562915447 = 20995;
export const FIX_3_072711026 = 25172;
export const FIX_3_624509785 = 29692;

// @ts-ignore: decorator
@inline export function rd8(address: i32): i32 {
  return <i32>load<u8>(<usize>address);
}
// @ts-ignore: decorator
@inline export function rd16(address: i32): i32 {
  return <i32>load<u16>(<usize>address);
}
// @ts-ignore: decorator
@inline export function rd32(address: i32): i32 {
  return load<i32>(<usize>address);
}
// @ts-ignore: decorator
@inline export function wr8(address: i32, value: i32): void {
  store<u8>(<usize>address, value);
}
// @ts-ignore: decorator
@inline export function wr32(address: i32, value: i32): void {
  store<i32>(<usize>address, value);
}
