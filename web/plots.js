// FaultMaven web UI, plots: the timeline of events by entity, the anomalous metric series with
// their expected band, and the waterfall of one slow trace, drawn as SVG from the response.
//
// Same safety rule as app.js: server strings reach the page through textContent or setAttribute
// only. No inline styles (the page's policy refuses them): colours and sizes come from plots.css
// classes, and classes made from server values are picked from fixed lists.
"use strict";

(function () {
  const MAX_WIDTH = 960;
  const MIN_WIDTH = 280;
  const SERVICE_COLOURS = 8;
  const SIGNALS = ["log", "metric", "trace", "config"];
  const SEVERITIES = ["critical", "high", "medium", "low", "info"];
  const TIMELINE_ROWS = 10;
  const TIME_STEPS_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
    21600, 43200, 86400, 172800, 604800];

  let helpers = null; // element(), svgElement(), formatters and revealFinding from app.js
  let lastResponse = null;
  let lastWidth = 0;
  let chartCount = 0;

  // ---------------------------------------------------------------------------------------------
  // Scales, ticks and labels
  // ---------------------------------------------------------------------------------------------

  function millisOf(text) {
    const value = Date.parse(String(text ?? ""));
    return Number.isFinite(value) ? value : null;
  }

  function linearScale(domainLow, domainHigh, rangeLow, rangeHigh) {
    const span = domainHigh - domainLow || 1;
    return (value) => rangeLow + ((value - domainLow) / span) * (rangeHigh - rangeLow);
  }

  /** Round time ticks (UTC) between two instants: about `count` of them. */
  function timeTicks(low, high, count) {
    const wanted = Math.max(1, (high - low) / 1000 / Math.max(1, count));
    const step = (TIME_STEPS_SECONDS.find((s) => s >= wanted) || TIME_STEPS_SECONDS.at(-1)) * 1000;
    const ticks = [];
    for (let tick = Math.ceil(low / step) * step; tick <= high && ticks.length < 50; tick += step) ticks.push(tick);
    return { ticks, step };
  }

  /** A UTC time label precise enough for the tick step and the window. */
  function timeLabel(millis, step, window) {
    const iso = new Date(millis).toISOString();
    const clock = step < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
    return window > 86_400_000 ? `${iso.slice(5, 10)} ${clock}` : clock;
  }

  /** 1-2-5 ticks covering [low, high]: about `count` of them. */
  function valueTicks(low, high, count) {
    const raw = (high - low) / Math.max(1, count);
    const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
    const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9 && ticks.length < 20; tick += step) {
      ticks.push(Math.abs(tick) < step * 1e-9 ? 0 : tick);
    }
    return ticks;
  }

  /** Short numbers for axes: 5.2k, 1.3M, 0.37. */
  function compactNumber(value) {
    const absolute = Math.abs(value);
    if (absolute >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`;
    if (absolute >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
    if (absolute >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
    return String(Number(value.toPrecision(3)));
  }

  function withUnit(text, unit) {
    if (!unit) return text;
    return unit === "%" ? `${text}%` : `${text} ${unit}`;
  }

  function durationLabel(millis) {
    const value = Number(millis) || 0;
    if (value === 0) return "0";
    if (value >= 1000) return `${Number((value / 1000).toPrecision(3))} s`;
    if (value >= 1) return `${Number(value.toPrecision(3))} ms`;
    return `${Math.round(value * 1000)} µs`;
  }

  // ---------------------------------------------------------------------------------------------
  // Shared SVG pieces
  // ---------------------------------------------------------------------------------------------

  function svgText(x, y, text, className, anchor) {
    const node = helpers.svgElement("text", { x: x.toFixed(1), y: y.toFixed(1), class: className });
    if (anchor) node.setAttribute("text-anchor", anchor);
    node.textContent = text;
    return node;
  }

  function svgTitle(text) {
    const title = helpers.svgElement("title");
    title.textContent = text;
    return title;
  }

  /** An SVG image with a title and a description for assistive technology. */
  function chartSvg(width, height, className, titleText, descriptionText) {
    chartCount += 1;
    const titleId = `plot-title-${chartCount}`;
    const descriptionId = `plot-desc-${chartCount}`;
    const svg = helpers.svgElement("svg", {
      class: `plot-svg ${className}`,
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": `${titleId} ${descriptionId}`,
    });
    const title = svgTitle(titleText);
    title.setAttribute("id", titleId);
    const description = helpers.svgElement("desc", { id: descriptionId });
    description.textContent = descriptionText;
    svg.append(title, description);
    return svg;
  }

  /** Time ticks with labels and grid lines along the bottom (or top) of a plot area. */
  function timeAxis(svg, area, low, high, atTop) {
    const x = linearScale(low, high, area.left, area.right);
    const { ticks, step } = timeTicks(low, high, Math.max(2, Math.floor((area.right - area.left) / 90)));
    const y = atTop ? area.top - 6 : area.bottom + 15;
    for (const tick of ticks) {
      svg.append(helpers.svgElement("line", {
        class: "plot-grid",
        x1: x(tick).toFixed(1),
        x2: x(tick).toFixed(1),
        y1: area.top,
        y2: area.bottom,
      }));
      svg.append(svgText(x(tick), y, timeLabel(tick, step, high - low), "plot-tick", "middle"));
    }
    return x;
  }

  function findingButton(findingId) {
    if (!findingId) return null;
    return helpers.element("button", {
      type: "button",
      class: "link-button plot-finding",
      text: String(findingId),
      "aria-label": `Show finding ${findingId}`,
      onclick: () => helpers.revealFinding(String(findingId)),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Series with an expected band
  // ---------------------------------------------------------------------------------------------

  function seriesFigure(plot, width) {
    const points = helpers.arrayOf(plot.points)
      .map((point) => ({
        at: millisOf(point.at),
        value: Number(point.value),
        lower: point.lower === null || point.lower === undefined ? null : Number(point.lower),
        upper: point.upper === null || point.upper === undefined ? null : Number(point.upper),
        anomalous: point.anomalous === true,
      }))
      .filter((point) => point.at !== null && Number.isFinite(point.value));
    if (points.length === 0) return null;
    const unit = typeof plot.unit === "string" ? plot.unit : "";
    const series = String(plot.series ?? "");
    const height = width < 480 ? 180 : 210;
    const area = { left: width < 480 ? 44 : 56, right: width - 10, top: 10, bottom: height - 24 };
    const low = points[0].at;
    const high = Math.max(points.at(-1).at, low + 1000);
    const values = points.flatMap((p) => [p.value, p.lower, p.upper]).filter((v) => v !== null && Number.isFinite(v));
    let valueLow = Math.min(...values);
    let valueHigh = Math.max(...values);
    const pad = (valueHigh - valueLow) * 0.06 || Math.abs(valueHigh) * 0.1 || 1;
    valueLow -= pad;
    valueHigh += pad;
    const y = linearScale(valueLow, valueHigh, area.bottom, area.top);
    const ranges = helpers.arrayOf(plot.anomalous_ranges);
    const anomalies = points.filter((p) => p.anomalous);
    const peak = points.reduce((best, p) => (p.value > best.value ? p : best), points[0]);
    const description = `${points.length} of ${Number(plot.total_points) || points.length} points from ` +
      `${helpers.formatTimestamp(plot.points[0].at)} to ${helpers.formatTimestamp(plot.points.at(-1).at)}; ` +
      `peak ${withUnit(helpers.formatNumber(peak.value), unit)} at ${new Date(peak.at).toISOString()}; ` +
      `${anomalies.length} points outside the expected band; ` +
      `${ranges.length} anomalous range${ranges.length === 1 ? "" : "s"}` +
      (ranges.length > 0 ? `: ${ranges.map((r) => `${r.finding_id} ${helpers.formatTimestamp(r.start)} to ${helpers.formatTimestamp(r.end)}`).join("; ")}` : "") +
      ".";
    const svg = chartSvg(width, height, "series-plot", `${series} over time`, description);

    for (const tick of valueTicks(valueLow, valueHigh, 4)) {
      svg.append(helpers.svgElement("line", { class: "plot-grid", x1: area.left, x2: area.right, y1: y(tick).toFixed(1), y2: y(tick).toFixed(1) }));
      svg.append(svgText(area.left - 4, y(tick) + 3.5, withUnit(compactNumber(tick), unit === "%" ? "%" : ""), "plot-tick", "end"));
    }
    const x = timeAxis(svg, area, low, high, false);

    for (const range of ranges) {
      const start = millisOf(range.start);
      const end = millisOf(range.end);
      if (start === null || end === null) continue;
      const left = Math.max(area.left, x(start) - 1.5);
      const right = Math.min(area.right, x(end) + 1.5);
      const rect = helpers.svgElement("rect", {
        class: "plot-range",
        x: left.toFixed(1),
        y: area.top,
        width: Math.max(3, right - left).toFixed(1),
        height: area.bottom - area.top,
      });
      rect.append(svgTitle(`${range.finding_id}: ${helpers.humanize(range.kind)} from ${helpers.formatTimestamp(range.start)} to ${helpers.formatTimestamp(range.end)}`));
      svg.append(rect);
    }

    const bandPath = bandOutline(points, x, y);
    if (bandPath !== "") svg.append(helpers.svgElement("path", { class: "plot-band", d: bandPath }));
    const line = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join("");
    svg.append(helpers.svgElement("path", { class: "plot-line", d: line }));
    for (const point of anomalies) {
      const dot = helpers.svgElement("circle", { class: "plot-anomaly", cx: x(point.at).toFixed(1), cy: y(point.value).toFixed(1), r: 3 });
      const expected = point.lower !== null && point.upper !== null
        ? `, expected ${helpers.formatNumber(point.lower)} to ${helpers.formatNumber(point.upper)}`
        : "";
      dot.append(svgTitle(`${new Date(point.at).toISOString()}: ${withUnit(helpers.formatNumber(point.value), unit)}${expected}`));
      svg.append(dot);
    }

    const entities = helpers.arrayOf(plot.entities).map((e) => `${e && e.kind}: ${e && e.name}`).join(", ");
    const findingIds = helpers.arrayOf(plot.finding_ids);
    return helpers.element(
      "figure",
      { class: "plot-figure series-figure" },
      helpers.element("figcaption", { class: "plot-caption" },
        helpers.element("code", { class: "plot-series", text: series }),
        unit ? helpers.element("span", { class: "muted", text: ` (${unit})` }) : null,
        entities ? helpers.element("span", { class: "muted", text: ` · ${entities}` }) : null,
        " · ", findingIds.map((id, i) => [i > 0 ? " " : null, findingButton(id)])),
      svg,
      helpers.element("p", { class: "plot-note muted" },
        helpers.element("span", { class: "legend-swatch legend-band", "aria-hidden": "true" }),
        ` Expected band: ${String(plot.band_method ?? "")}. `,
        helpers.element("span", { class: "legend-swatch legend-range", "aria-hidden": "true" }),
        " Anomalous range. ",
        points.length < Number(plot.total_points) ? `${points.length} of ${plot.total_points} points drawn (extremes and anomalies kept).` : ""),
    );
  }

  /** The band as closed shapes, one per run of points that have one. */
  function bandOutline(points, x, y) {
    const shapes = [];
    let run = [];
    const flush = () => {
      if (run.length >= 2) {
        const upper = run.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.at).toFixed(1)},${y(p.upper).toFixed(1)}`).join("");
        const lower = run.slice().reverse().map((p) => `L${x(p.at).toFixed(1)},${y(p.lower).toFixed(1)}`).join("");
        shapes.push(`${upper}${lower}Z`);
      }
      run = [];
    };
    for (const point of points) {
      if (point.lower !== null && point.upper !== null && Number.isFinite(point.lower) && Number.isFinite(point.upper)) run.push(point);
      else flush();
    }
    flush();
    return shapes.join("");
  }

  // ---------------------------------------------------------------------------------------------
  // Trace waterfall
  // ---------------------------------------------------------------------------------------------

  function waterfallFigure(waterfall, width) {
    const spans = helpers.arrayOf(waterfall.spans);
    if (spans.length === 0) return null;
    const services = [...new Set(spans.map((s) => String(s.service ?? "")))];
    const colourOf = (service) => `svc-${services.indexOf(service) % SERVICE_COLOURS}`;
    const total = Math.max(Number(waterfall.duration_ms) || 0, ...spans.map((s) => (Number(s.start_ms) || 0) + (Number(s.duration_ms) || 0)), 0.001);
    const rowHeight = 20;
    const labelWidth = Math.min(260, Math.round(width * 0.38));
    const area = { left: labelWidth, right: width - 28, top: 24, bottom: 24 + rowHeight * spans.length };
    const height = area.bottom + 6;
    const x = linearScale(0, total, area.left, area.right);
    const critical = spans.filter((s) => s.critical === true).length;
    const errors = spans.filter((s) => s.is_error === true).length;
    const description = `Trace ${String(waterfall.trace_id ?? "")}, ${durationLabel(total)}, ${spans.length} spans drawn ` +
      `of ${Number(waterfall.total_spans) || spans.length}, ${services.length} services, ${critical} on the critical path, ${errors} failing. ` +
      "Each bar starts at the span's offset from the trace start and lasts its duration.";
    const svg = chartSvg(width, height, "waterfall-plot", `Waterfall of trace ${String(waterfall.trace_id ?? "")}`, description);

    const { ticks } = durationTicks(total, Math.max(2, Math.floor((area.right - area.left) / 90)));
    for (const tick of ticks) {
      svg.append(helpers.svgElement("line", { class: "plot-grid", x1: x(tick).toFixed(1), x2: x(tick).toFixed(1), y1: area.top - 4, y2: area.bottom }));
      svg.append(svgText(x(tick), area.top - 8, durationLabel(tick), "plot-tick", "middle"));
    }
    const labelChars = Math.max(8, Math.floor((labelWidth - 8) / 6.4));
    spans.forEach((span, row) => {
      const top = area.top + row * rowHeight;
      const service = String(span.service ?? "");
      const operation = String(span.operation ?? "");
      const start = Number(span.start_ms) || 0;
      const duration = Number(span.duration_ms) || 0;
      const depth = Math.min(Number(span.depth) || 0, 12);
      const classes = ["wf-bar", colourOf(service)];
      if (span.critical === true) classes.push("wf-critical");
      if (span.is_error === true) classes.push("wf-error");
      const group = helpers.svgElement("g", { class: "wf-row", tabindex: "0" });
      group.append(svgTitle(`${service} ${operation}: span ${String(span.span_id ?? "")}, ${durationLabel(duration)} ` +
        `(self ${durationLabel(span.self_ms)}), starts at +${durationLabel(start)}` +
        (span.is_error === true ? ", failed" : "") + (span.critical === true ? ", on the critical path" : "")));
      const label = `${service} · ${operation}`;
      const indent = Math.min(depth * 8, labelWidth * 0.4);
      group.append(svgText(4 + indent, top + 14, label.length > labelChars - depth ? `${label.slice(0, Math.max(4, labelChars - depth - 1))}…` : label, "wf-label"));
      const left = x(start);
      group.append(helpers.svgElement("rect", {
        class: classes.join(" "),
        x: left.toFixed(1),
        y: top + 4,
        width: Math.max(2, x(start + duration) - left).toFixed(1),
        height: rowHeight - 8,
        rx: 2,
      }));
      if (span.is_error === true) {
        group.append(svgText(Math.min(x(start + duration) + 3, width - 10), top + 14, "✕", "wf-error-mark"));
      }
      svg.append(group);
    });

    const reason = String(waterfall.reason ?? "");
    return helpers.element(
      "figure",
      { class: "plot-figure waterfall-figure" },
      helpers.element("figcaption", { class: "plot-caption" },
        "Trace ", helpers.element("code", { text: String(waterfall.trace_id ?? "") }),
        ` · ${durationLabel(total)} · ${reason}`,
        waterfall.finding_id ? [" · ", findingButton(waterfall.finding_id)] : null),
      helpers.element("div", { class: "plot-scroll" }, svg),
      helpers.element("ul", { class: "plot-legend", "aria-label": "Services" },
        services.map((service) => helpers.element("li", {},
          helpers.element("span", { class: `legend-swatch ${colourOf(service)}`, "aria-hidden": "true" }), ` ${service}`)),
        helpers.element("li", {}, helpers.element("span", { class: "legend-swatch legend-critical", "aria-hidden": "true" }), " critical path"),
        helpers.element("li", {}, helpers.element("span", { class: "wf-error-key", "aria-hidden": "true", text: "✕" }), " failed")),
      waterfall.note ? helpers.element("p", { class: "plot-note muted", text: String(waterfall.note) }) : null,
    );
  }

  /** 1-2-5 ticks from 0 to `total` milliseconds. */
  function durationTicks(total, count) {
    return { ticks: valueTicks(0, total, count).filter((t) => t >= 0 && t <= total) };
  }

  // ---------------------------------------------------------------------------------------------
  // Timeline strip
  // ---------------------------------------------------------------------------------------------

  function timelineFigure(events, width) {
    const parsed = events
      .map((event) => ({
        event,
        at: millisOf(event.at),
        until: millisOf(event.until),
        entity: event.entity && event.entity.name ? `${helpers.humanize(event.entity.kind)}: ${event.entity.name}` : "Other",
      }))
      .filter((item) => item.at !== null);
    if (parsed.length === 0) return null;
    // Rows: entities in order of their first event, the rest folded into "Other".
    const rows = [];
    for (const item of parsed.slice().sort((a, b) => a.at - b.at)) {
      if (!rows.includes(item.entity)) rows.push(item.entity);
    }
    const shown = rows.filter((row) => row !== "Other").slice(0, TIMELINE_ROWS - 1);
    if (rows.length > shown.length) shown.push("Other");
    const rowOf = (entity) => (shown.includes(entity) ? shown.indexOf(entity) : shown.length - 1);
    let low = Math.min(...parsed.map((p) => p.at));
    let high = Math.max(...parsed.map((p) => Math.max(p.at, p.until ?? p.at)));
    if (high - low < 60_000) {
      low -= 30_000;
      high += 30_000;
    }
    const rowHeight = 22;
    const labelWidth = Math.min(200, Math.round(width * 0.32));
    const area = { left: labelWidth, right: width - 12, top: 8, bottom: 8 + rowHeight * shown.length };
    const height = area.bottom + 24;
    const description = `${parsed.length} events of ${rows.length} entities from ${new Date(low).toISOString()} to ` +
      `${new Date(high).toISOString()}: ` +
      SIGNALS.map((signal) => `${parsed.filter((p) => p.event.signal === signal).length} ${signal}`).join(", ") + ".";
    const svg = chartSvg(width, height, "timeline-plot", "Timeline of events by entity", description);
    const labelChars = Math.max(8, Math.floor((labelWidth - 8) / 6.4));
    shown.forEach((row, index) => {
      const middle = area.top + index * rowHeight + rowHeight / 2;
      svg.append(helpers.svgElement("line", { class: "tl-row-line", x1: area.left, x2: area.right, y1: middle, y2: middle }));
      svg.append(svgText(4, middle + 4, row.length > labelChars ? `${row.slice(0, labelChars - 1)}…` : row, "tl-label"));
    });
    const x = timeAxis(svg, area, low, high, false);
    for (const item of parsed) {
      const event = item.event;
      const signal = helpers.knownToken(String(event.signal ?? ""), SIGNALS, "log");
      const severity = helpers.knownToken(String(event.severity ?? ""), SEVERITIES, "none");
      const middle = area.top + rowOf(item.entity) * rowHeight + rowHeight / 2;
      const findingId = typeof event.finding_id === "string" ? event.finding_id : "";
      const group = helpers.svgElement("g", { class: `tl-event tl-${signal} sev-${severity}`, tabindex: "0" });
      if (findingId) {
        group.setAttribute("role", "button");
        group.addEventListener("click", () => helpers.revealFinding(findingId));
        group.addEventListener("keydown", (keyEvent) => {
          if (keyEvent.key === "Enter" || keyEvent.key === " ") {
            keyEvent.preventDefault();
            helpers.revealFinding(findingId);
          }
        });
      }
      group.append(svgTitle(`${helpers.formatTimestamp(event.at)}${event.until ? ` → ${helpers.formatTimestamp(event.until)}` : ""} · ` +
        `${signal}${findingId ? ` · ${findingId}` : ""}${event.severity ? ` (${event.severity})` : ""}: ${String(event.description ?? "")}`));
      if (item.until !== null && item.until > item.at) {
        group.append(helpers.svgElement("rect", {
          class: "tl-window",
          x: x(item.at).toFixed(1),
          y: middle - 3,
          width: Math.max(2, x(item.until) - x(item.at)).toFixed(1),
          height: 6,
          rx: 3,
        }));
      }
      const strength = Math.min(Math.max(Number(event.strength) || 0, 0), 1);
      group.append(helpers.svgElement("circle", { class: "tl-dot", cx: x(item.at).toFixed(1), cy: middle, r: (3 + 3 * strength).toFixed(1) }));
      svg.append(group);
    }
    return helpers.element(
      "figure",
      { class: "plot-figure timeline-figure" },
      helpers.element("figcaption", { class: "plot-caption", text: "Events by entity (select one to see its finding)" }),
      svg,
      helpers.element("ul", { class: "plot-legend", "aria-label": "Signals" },
        SIGNALS.map((signal) => helpers.element("li", {},
          helpers.element("span", { class: `legend-swatch tl-${signal}`, "aria-hidden": "true" }), ` ${signal}`))),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Entry point
  // ---------------------------------------------------------------------------------------------

  /** The drawing width: the section's inner width (its padding is at most 1 rem a side). */
  function plotWidth(section) {
    const inner = Math.floor(section.clientWidth - 32);
    return inner > 0 ? Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, inner)) : MAX_WIDTH;
  }

  function draw(response) {
    const section = document.getElementById("plots-section");
    if (!section) return;
    const width = plotWidth(section);
    lastWidth = width;
    chartCount = 0;
    const timeline = timelineFigure(helpers.arrayOf(response.timeline), width);
    const series = helpers.arrayOf(response.series_plots).map((plot) => seriesFigure(plot, width)).filter(Boolean);
    const waterfall = response.trace_waterfall && typeof response.trace_waterfall === "object"
      ? waterfallFigure(response.trace_waterfall, width)
      : null;
    document.getElementById("timeline-plot").replaceChildren(...(timeline ? [helpers.element("h3", { text: "Timeline" }), timeline] : []));
    document.getElementById("series-plots").replaceChildren(...(series.length > 0 ? [helpers.element("h3", { text: "Anomalous series" }), ...series] : []));
    document.getElementById("trace-waterfall").replaceChildren(...(waterfall ? [helpers.element("h3", { text: "Slow trace" }), waterfall] : []));
    section.hidden = !timeline && series.length === 0 && !waterfall;
  }

  /** Draws the plots of a response; `tools` are app.js's DOM helpers and formatters. */
  function render(response, tools) {
    helpers = tools;
    lastResponse = response;
    const section = document.getElementById("plots-section");
    if (section) section.hidden = false; // measured while visible
    draw(response);
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    if (lastResponse === null) return;
    if (resizeTimer !== null) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const section = document.getElementById("plots-section");
      if (section && !section.hidden && Math.abs(plotWidth(section) - lastWidth) > 24) draw(lastResponse);
    }, 150);
  });

  window.FaultMavenPlots = Object.freeze({ render });
})();
