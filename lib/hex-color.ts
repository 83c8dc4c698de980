/**
 * Colours as the metadata document writes them: CSS hex `#rrggbb`, what a front end can put
 * straight into a style.
 */

/** `#rrggbb` of 0-255 channel values (rounded and clamped). */
export function hexColor(red: number, green: number, blue: number): string {
  const byte = (value: number) =>
    Math.min(255, Math.max(0, Math.round(value)))
      .toString(16)
      .padStart(2, '0');
  return `#${byte(red)}${byte(green)}${byte(blue)}`;
}
