import {test} from "node:test";
import assert from "node:assert/strict";
import * as Plot from "@observablehq/plot";
import {finiteRows, normalizeIds, renderChart, roundNumbers} from "../../src/charts/renderChart.js";

const rows = [
  {x: 1, y: 2.123456, c: "a"},
  {x: 2, y: 3.5, c: "b"},
  {x: 3, y: 1, c: "a"},
];

test("renderChart returns one self-contained svg with xmlns, title and legend", () => {
  const svg = renderChart({title: "A title", subtitle: "A subtitle", legendLabel: "Kind", plot: {x: {label: "x (s)"}, y: {label: "y (B)"}, marks: [Plot.dot(rows, {x: "x", y: "y", fill: "c"})]}});
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="640" height="\d+" viewBox="0 0 640 \d+"/);
  assert.ok(svg.endsWith("</svg>"));
  assert.ok(!svg.includes("<figure") && !svg.includes("<style"));
  assert.ok(svg.includes("<title>A title</title>"));
  assert.ok(svg.includes(">A subtitle</text>"));
  assert.ok(svg.includes('aria-label="color legend"') && svg.includes(">Kind</text>") && svg.includes(">a</text>") && svg.includes(">b</text>"));
  assert.ok(svg.includes(">x (s)") && svg.includes("y (B)"));
});

test("renderChart leaves the legend out when no colour scale is used", () => {
  const svg = renderChart({title: "No colour", plot: {marks: [Plot.dot(rows, {x: "x", y: "y"})]}});
  assert.ok(!svg.includes('aria-label="color legend"'));
});

test("renderChart gives the same bytes twice, clip ids included", () => {
  const spec = () => ({title: "Clipped", plot: {marks: [Plot.line(rows, {x: "x", y: "y", clip: true})]}});
  const a = renderChart(spec());
  const b = renderChart(spec());
  assert.ok(a.includes('id="plot-clip-1"'), "Plot's clip id is renumbered from 1");
  assert.equal(a, b);
});

test("renderChart rounds every attribute number to 3 decimals", () => {
  const svg = renderChart({title: "Rounded", plot: {width: 333, height: 177, marks: [Plot.dot(rows, {x: "x", y: "y"})]}});
  assert.ok(!/="[^"]*\d\.\d{4,}/.test(svg));
});

test("roundNumbers rounds decimals beyond 3 places and keeps the rest", () => {
  assert.equal(roundNumbers("translate(40,103.99999999999999) M1.23456,2.5"), "translate(40,104) M1.235,2.5");
});

test("normalizeIds renumbers ids and their references in order of appearance", () => {
  const markup = '<clipPath id="plot-clip-7"/><g clip-path="url(#plot-clip-7)"/><clipPath id="plot-clip-3"/><use href="#plot-clip-3"/>';
  assert.equal(normalizeIds(markup), '<clipPath id="plot-clip-1"/><g clip-path="url(#plot-clip-1)"/><clipPath id="plot-clip-2"/><use href="#plot-clip-2"/>');
});

test("finiteRows drops NaN, Infinity, non-numbers and, on a log field, values ≤ 0", () => {
  const input = [
    {a: 1, b: 1},
    {a: NaN, b: 1},
    {a: 1, b: Infinity},
    {a: 0, b: 2},
    {a: 2, b: 0},
  ];
  assert.deepEqual(finiteRows(input, ["a", "b"], {positive: ["b"]}), [{a: 1, b: 1}, {a: 0, b: 2}]);
});
