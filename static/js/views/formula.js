// The output-size formula O = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 in MathML, with the current numbers put in and the
// server's terms (numerator, size, remainder) as the results, one block per stage; the reason when the floor drops
// cells, and the settings substituted (without a result) when they are impossible.

const mn = (value) => `<mn>${Number(value)}</mn>`;
const mo = (op) => `<mo>${op}</mo>`;
const row = (...parts) => `<mrow>${parts.join("")}</mrow>`;
const floor = (inner) => row(`<mo stretchy="true">⌊</mo>`, inner, `<mo stretchy="true">⌋</mo>`);

function numerator(n, k, p, d, dilated) {
  const symbolic = dilated
    ? row("<mi>n</mi>", mo("+"), mn(2), "<mi>p</mi>", mo("−"), "<mi>d</mi>", mo("("), "<mi>k</mi>", mo("−"), mn(1), mo(")"), mo("−"), mn(1))
    : row("<mi>n</mi>", mo("+"), mn(2), "<mi>p</mi>", mo("−"), "<mi>k</mi>");
  const numbers = dilated
    ? row(mn(n), mo("+"), mn(2), mo("·"), mn(p), mo("−"), mn(d), mo("·"), mo("("), mn(k), mo("−"), mn(1), mo(")"), mo("−"), mn(1))
    : row(mn(n), mo("+"), mn(2), mo("·"), mn(p), mo("−"), mn(k));
  return { symbolic, numbers };
}

/**
 * MathML of one axis: symbols, numbers, then (when terms are known) the quotient and the size. Each "= …" is a
 * math element of its own, so a narrow screen wraps the chain between them instead of cutting it off.
 */
function equation(name, { n, k, s, p, d = 1, dilated = true }, terms) {
  const top = numerator(n, k, p, d, dilated);
  const pieces = [
    [`<mi>${name}</mi>`, mo("="), floor(`<mfrac>${top.symbolic}<mi>s</mi></mfrac>`), mo("+"), mn(1)],
    [mo("="), floor(`<mfrac>${top.numbers}${mn(s)}</mfrac>`), mo("+"), mn(1)],
  ];
  if (terms) pieces.push([mo("="), floor(`<mfrac>${mn(terms.numerator)}${mn(s)}</mfrac>`), mo("+"), mn(1), mo("="), `<mn class="formula__result">${Number(terms.size)}</mn>`]);
  const maths = pieces.map((parts) => `<math displaystyle="true">${row(...parts)}</math>`);
  return `<div class="formula__math">${maths.join("")}</div>`;
}

export class Formula {
  constructor(el) {
    this.el = el;
  }

  /**
   * data: stages [{title, axes: [{label, n, terms}], k, s, p, d, dilated, reason, field}] from the plan, or
   * impossible {title, n, k, s, p, d, message} to show the settings and why they cannot work.
   */
  update(data) {
    const blocks = [];
    for (const stage of data.stages ?? []) {
      const lines = stage.axes.map((axis) => {
        const label = axis.label ? `<p class="formula__axis">${axis.label}</p>` : "";
        return label + equation("O", { ...stage, n: axis.n }, axis.terms);
      });
      const reason = stage.reason ? `<p class="formula__reason" data-testid="conv-unreached-reason">${escape(stage.reason)}</p>` : "";
      const field = stage.field ? `<p class="formula__field">${escape(stage.field)}</p>` : "";
      blocks.push(`<div class="formula__stage"><h3>${escape(stage.title)}</h3>${lines.join("")}${reason}${field}</div>`);
    }
    if (data.impossible) {
      const bad = data.impossible;
      blocks.push(`<div class="formula__stage formula__stage--impossible"><h3>${escape(bad.title)}</h3>` +
        equation("O", { ...bad, dilated: true }, null) +
        `<p class="formula__reason">${escape(bad.message)}</p></div>`);
    }
    this.el.innerHTML = blocks.join("");
  }

  destroy() {
    this.el.replaceChildren();
  }
}

function escape(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}
