import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CUBE_CORNERS, CUBE_EDGES, DEFAULT_VIEW, MAX_PITCH, backToFront, dragged, fitScale, project, rotation, toCube,
} from "../../../static/js/lib/projection.js";

const close = (a, b, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

test("toCube maps a box onto [−1, 1]³ and a flat axis onto 0", () => {
  assert.deepEqual(toCube([0, 5, 3], [0, 0, 3], [2, 10, 3]), [-1, 0, 0]);
  assert.deepEqual(toCube([2, 10, 3], [0, 0, 0], [2, 10, 6]), [1, 1, 0]);
});

test("the rotation is orthonormal for any view", () => {
  for (const view of [DEFAULT_VIEW, { yaw: 2.1, pitch: -1.2 }, { yaw: 0, pitch: 0 }]) {
    const m = rotation(view);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) close(m[i].reduce((s, v, k) => s + v * m[j][k], 0), i === j ? 1 : 0);
    }
  }
});

test("seen from the front the third axis points up, the first right, the second away", () => {
  const m = rotation({ yaw: 0, pitch: 0 });
  assert.deepEqual(project([0, 0, 1], m), { x: 0, y: 1, depth: 0 });
  assert.deepEqual(project([1, 0, 0], m), { x: 1, y: 0, depth: 0 });
  const away = project([0, 1, 0], m);
  close(away.x, 0);
  close(away.depth, -1);
});

test("seen from straight above the third axis points at the viewer", () => {
  const up = project([0, 0, 1], rotation({ yaw: 0, pitch: Math.PI / 2 }));
  close(up.x, 0);
  close(up.y, 0);
  close(up.depth, 1);
});

test("a drag turns the yaw with dx and the pitch with dy, the pitch held within ±π/2", () => {
  assert.deepEqual(dragged({ yaw: 0, pitch: 0 }, 100, 0), { yaw: 1, pitch: 0 });
  assert.deepEqual(dragged({ yaw: 0, pitch: 0 }, 0, 1000), { yaw: 0, pitch: MAX_PITCH });
  assert.deepEqual(dragged({ yaw: 0, pitch: 0 }, 0, -1000), { yaw: 0, pitch: -MAX_PITCH });
});

test("a drag changes where a point lands on the screen", () => {
  const before = project([1, 1, 1], rotation(DEFAULT_VIEW));
  const after = project([1, 1, 1], rotation(dragged(DEFAULT_VIEW, 40, 10)));
  assert.ok(Math.hypot(after.x - before.x, after.y - before.y) > 0.1);
});

test("the cube has 8 corners and 12 edges of length 2", () => {
  assert.equal(CUBE_CORNERS.length, 8);
  assert.equal(CUBE_EDGES.length, 12);
  for (const [a, b] of CUBE_EDGES) {
    assert.equal(CUBE_CORNERS[a].reduce((s, v, d) => s + Math.abs(v - CUBE_CORNERS[b][d]), 0), 2);
  }
});

test("the painter's order goes from the farthest to the nearest", () => {
  assert.deepEqual(backToFront([{ depth: 0.5 }, { depth: -1 }, { depth: 2 }]), [1, 0, 2]);
});

test("the turned cube always fits the canvas", () => {
  const scale = fitScale(300, 200, 10);
  for (const view of [DEFAULT_VIEW, { yaw: 0.8, pitch: 0.6 }, { yaw: 2, pitch: -1.5 }]) {
    for (const corner of CUBE_CORNERS) {
      const { x, y } = project(corner, rotation(view));
      assert.ok(Math.abs(x * scale) <= 90 && Math.abs(y * scale) <= 90);
    }
  }
});
