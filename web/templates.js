// FaultMaven web UI: the log template table with a sparkline of each template over time.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.

import { arrayOf, byId, element, formatCount, humanize, svgElement } from "./dom.js";

const TEMPLATES_SHOWN = 50;
const SPARK_WIDTH = 120;
const SPARK_HEIGHT = 24;

/** A small bar chart of a template's incident lines per time bucket (no inline styles). */
function sparkline(histogram) {
  const counts = arrayOf(histogram && histogram.counts).map((c) => Number(c) || 0);
  if (counts.length === 0) return "";
  const peak = Math.max(1, ...counts);
  const barWidth = SPARK_WIDTH / counts.length;
  const svg = svgElement("svg", {
    class: "sparkline",
    width: SPARK_WIDTH,
    height: SPARK_HEIGHT,
    viewBox: `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`,
    role: "img",
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const baselineTotal = arrayOf(histogram.baseline_counts).reduce((a, b) => a + (Number(b) || 0), 0);
  const title = svgElement("title");
  title.textContent = `${total} lines in ${counts.length} buckets of ${Number(histogram.bucket_seconds) || 0} s from ${String(histogram.start ?? "")}, peak ${peak}` +
    (histogram.baseline_start ? `; baseline ${baselineTotal} lines` : "");
  svg.append(title);
  counts.forEach((count, index) => {
    if (count === 0) return;
    const height = Math.max(1, (count / peak) * (SPARK_HEIGHT - 1));
    svg.append(svgElement("rect", {
      class: "spark-bar",
      x: (index * barWidth).toFixed(2),
      y: (SPARK_HEIGHT - height).toFixed(2),
      width: Math.max(0.5, barWidth - 0.5).toFixed(2),
      height: height.toFixed(2),
    }));
  });
  return svg;
}

export function renderTemplates(templates) {
  const section = byId("templates-section");
  const body = byId("templates").tBodies[0];
  section.hidden = templates.length === 0;
  byId("templates-count").textContent = templates.length > 0 ? String(templates.length) : "";
  const shown = templates.slice(0, TEMPLATES_SHOWN);
  body.replaceChildren(
    ...shown.map((template) =>
      element(
        "tr",
        {},
        element("td", { class: "numeric", text: formatCount(template.count) }),
        element("td", { class: "numeric", text: formatCount(template.baseline_count) }),
        element("td", { text: template.level ? humanize(template.level) : "" }),
        element("td", { class: "spark-cell" }, sparkline(template.histogram)),
        element("td", {}, element("code", { class: "template-text", text: String(template.template ?? "") })),
      ),
    ),
  );
  if (templates.length > TEMPLATES_SHOWN) {
    body.append(element("tr", {}, element("td", { colspan: "5", class: "muted", text: `${templates.length - TEMPLATES_SHOWN} more templates not shown.` })));
  }
}
