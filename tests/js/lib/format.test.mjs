import assert from "node:assert/strict";
import { test } from "node:test";

import { formatNumber, formatValue } from "../../../static/js/lib/format.js";

test("formatNumber keeps integers exact, with a real minus sign", () => {
  assert.equal(formatNumber(3), "3");
  assert.equal(formatNumber(-2), "−2");
  assert.equal(formatNumber(1234567), "1234567");
  assert.equal(formatNumber(0), "0");
});

test("formatNumber shortens fractions by size: 2 decimals under 10, 1 under 100, none above", () => {
  assert.equal(formatNumber(0.25), "0.25");
  assert.equal(formatNumber(-1.5), "−1.5");
  assert.equal(formatNumber(0.1 + 0.2), "0.3");
  assert.equal(formatNumber(1 / 3), "0.33");
  assert.equal(formatNumber(12.34), "12.3");
  assert.equal(formatNumber(-12.06), "−12.1");
  assert.equal(formatNumber(123.6), "124");
  assert.equal(formatNumber(2.5), "2.5");
});

test("formatNumber: a tiny negative number reads 0, not −0; non-finite values", () => {
  assert.equal(formatNumber(-0.001), "0");
  assert.equal(formatNumber(-Infinity), "−∞");
  assert.equal(formatNumber(Infinity), "");
  assert.equal(formatNumber(NaN), "");
});

test("formatValue: significant digits in the readable range", () => {
  assert.equal(formatValue(0.123456), "0.1235");
  assert.equal(formatValue(0.123456, 2), "0.12");
  assert.equal(formatValue(-1234.5), "−1235");
  assert.equal(formatValue(0.5), "0.5");
  assert.equal(formatValue(0.001), "0.001");
});

test("formatValue: powers of ten with superscripts outside 0.001 … 100000", () => {
  assert.equal(formatValue(0.0001234), "1.234×10⁻⁴");
  assert.equal(formatValue(123456), "1.235×10⁵");
  assert.equal(formatValue(1e5), "1×10⁵");
  assert.equal(formatValue(-0.00005, 2), "−5×10⁻⁵");
  assert.equal(formatValue(6.02e23, 3), "6.02×10²³");
  assert.equal(formatValue(1.5e-12, 2), "1.5×10⁻¹²");
});

test("formatValue: nothing to show is an en dash, zero is 0", () => {
  assert.equal(formatValue(null), "–");
  assert.equal(formatValue(undefined), "–");
  assert.equal(formatValue(NaN), "–");
  assert.equal(formatValue(0), "0");
  assert.equal(formatValue(-0), "0");
});
