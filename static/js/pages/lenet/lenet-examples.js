// Example digits as pen strokes on the 280×280 pad (lists of [x, y] points), so that a keyboard user, or a
// teacher in a hurry, can put a digit on the pad without drawing it. They are drawings, not network results.

function arc(cx, cy, rx, ry, from, to, steps = 40) {
  return Array.from({ length: steps + 1 }, (_, i) => {
    const t = ((from + ((to - from) * i) / steps) * Math.PI) / 180;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)];
  });
}

export const EXAMPLES = {
  0: [arc(140, 140, 55, 85, 0, 360)],
  1: [[[120, 75], [150, 50], [148, 230]]],
  2: [[...arc(140, 100, 52, 48, 200, 360), [178, 140], [88, 228], [200, 228]]],
  3: [[...arc(138, 95, 48, 42, 210, 450), ...arc(138, 180, 55, 45, -90, 150)]],
  4: [[[165, 230], [165, 50], [80, 170], [205, 170]]],
  5: [[[190, 55], [105, 55], [98, 130], ...arc(140, 170, 55, 55, -120, 150)]],
  6: [[[180, 55], [130, 80], [100, 140], ...arc(140, 180, 45, 45, 180, 540)]],
  7: [[[80, 60], [200, 60], [120, 230]]],
  8: [arc(140, 92, 42, 42, 0, 360), arc(140, 182, 52, 48, 0, 360)],
  9: [[...arc(140, 100, 45, 45, 0, 360), [183, 120], [170, 230]]],
};
