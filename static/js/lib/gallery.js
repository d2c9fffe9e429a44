// The class gallery's bookkeeping, without the DOM: a submission's 28×28 pixels, the class's confusion counts
// (what students meant against what LeNet read, from the server's predictions), and the teacher's strokes made
// small enough to follow (a room's view is at most 32 KB on the server).

export const SIDE = 28; // a submission is LeNet's 28×28 input, row-major, ink high

/** A submission's pixels (base64 of 28×28 bytes, 0 paper to 255 full ink) as a Uint8Array. */
export function decodePixels(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Whether LeNet read a tagged drawing as another digit than the one its author meant. */
export const misread = (submission) => submission.tag !== null && submission.tag !== submission.prediction;

/**
 * Counts for the confusion matrix: cells[tag][prediction] for tagged drawings, untagged[prediction] for the rest,
 * and how many tagged ones LeNet read as meant.
 */
export function tally(submissions, classes = 10) {
  const cells = Array.from({ length: classes }, () => new Array(classes).fill(0));
  const untagged = new Array(classes).fill(0);
  let tagged = 0;
  let correct = 0;
  for (const { tag, prediction } of submissions) {
    if (tag === null || tag === undefined) {
      untagged[prediction] += 1;
      continue;
    }
    cells[tag][prediction] += 1;
    tagged += 1;
    if (tag === prediction) correct += 1;
  }
  return { cells, untagged, tagged, correct, untaggedTotal: submissions.length - tagged };
}

const round = (points, digits) => {
  const factor = 10 ** digits;
  return points.map(([x, y]) => [Math.round(x * factor) / factor, Math.round(y * factor) / factor]);
};

/** Points closer than `gap` to the last kept one dropped (the first and last point always stay). */
function thin(points, gap) {
  if (points.length <= 2) return points;
  const kept = [points[0]];
  for (const point of points.slice(1, -1)) {
    const last = kept.at(-1);
    if (Math.hypot(point[0] - last[0], point[1] - last[1]) >= gap) kept.push(point);
  }
  kept.push(points.at(-1));
  return kept;
}

/**
 * Strokes ({width, points}) as {strokes: point lists, widths} whose JSON fits in `budget` characters: points
 * rounded to 0.1 pad unit, and when that is too long, rounded to whole units and thinned out, coarser each try.
 */
export function compactStrokes(strokes, budget) {
  const widths = strokes.map((stroke) => stroke.width);
  let lists = strokes.map((stroke) => round(stroke.points, 1));
  for (let gap = 1; JSON.stringify(lists).length > budget && gap <= 64; gap *= 2) {
    lists = strokes.map((stroke) => thin(round(stroke.points, 0), gap));
  }
  return { strokes: lists, widths };
}
