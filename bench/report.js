// report.js — how the benchmarks print: numbers, and rows of "ours vs an
// anchor measured in the same run" with the ratio and the issue's goal.

export const fmt = (x, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A table whose row() adds ours / anchor as a ratio, with a verdict when there is a goal. */
export function ratioTable() {
  const rows = [];
  function row(what, ours, anchorName, anchor, goal, unit) {
    const ratio = ours / anchor;
    const verdict = goal === undefined ? '' : ratio >= goal ? `goal >= ${goal}x: met` : `goal >= ${goal}x: NOT met`;
    rows.push({ what, ours: `${fmt(ours)} ${unit}`, anchor: `${anchorName} ${fmt(anchor)} ${unit}`, ratio: `${fmt(ratio, 2)}x`, verdict });
  }
  return { rows, row };
}
