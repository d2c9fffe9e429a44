import assert from "node:assert/strict";
import { test } from "node:test";

import { expressionText, partialText, symbolText } from "../../../static/js/lib/math.js";

// The plain-text half of math.js (labels and screen readers); the MathML half needs a document.

test("symbolText writes the slides' names with subscripts", () => {
  assert.equal(symbolText("w5"), "w₅");
  assert.equal(symbolText("b12"), "b₁₂");
  assert.equal(symbolText("yhat"), "ŷ");
  assert.equal(symbolText("l"), "l");
  assert.equal(symbolText("w"), "w");
});

test("partialText and expressionText", () => {
  assert.equal(partialText("l", "w5"), "∂l/∂w₅");
  assert.equal(partialText("yhat", "z1"), "∂ŷ/∂z₁");
  assert.equal(expressionText("1 - yhat"), "(1 − ŷ)");
  assert.equal(expressionText("h1"), "h₁");
  assert.equal(expressionText("-0.536"), "(−0.536)");
  assert.equal(expressionText("y - 1"), "(y − 1)");
});
