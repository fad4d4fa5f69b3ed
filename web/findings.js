// FaultMaven web UI: findings with their evidence, suspects, and the attachments table.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.

import {
  arrayOf,
  byId,
  element,
  formatBytes,
  formatCount,
  formatNumber,
  formatTimestamp,
  humanize,
  knownToken,
  showToast,
} from "./dom.js";
import { attachmentNames } from "./state.js";

const SEVERITIES = ["critical", "high", "medium", "low", "info"];

export function suspectChips(suspects) {
  const list = arrayOf(suspects);
  if (list.length === 0) return null;
  return element(
    "ul",
    { class: "suspects", "aria-label": "Suspects" },
    list.map((suspect) =>
      element(
        "li",
        { class: "chip chip-suspect" },
        element("span", { class: "chip-label", text: humanize(suspect && suspect.kind) }),
        element("span", { class: "chip-value", text: String(suspect && suspect.name ? suspect.name : "") }),
      ),
    ),
  );
}

export function revealFinding(findingId) {
  const target = byId(`finding-${findingId}`);
  if (!target) {
    showToast(`Finding ${findingId} is not in this response.`);
    return;
  }
  target.scrollIntoView({ behavior: "smooth", block: "center" });
  target.classList.remove("highlight");
  // Reading offsetWidth restarts the highlight animation when the same finding is picked twice.
  void target.offsetWidth;
  target.classList.add("highlight");
  target.focus({ preventScroll: true });
}

function attachmentLabel(attachmentId) {
  const id = String(attachmentId ?? "");
  const name = attachmentNames.get(id);
  return element("span", { class: "evidence-source", title: name ? `${id}: ${name}` : null }, id);
}

/** The upload's file name after the location, when the response named it. */
function attachmentFileName(attachmentId) {
  const name = attachmentNames.get(String(attachmentId ?? ""));
  return name ? element("span", { class: "evidence-file", text: ` · ${name}` }) : null;
}

function lineRange(first, last) {
  if (first === null || first === undefined) return "";
  if (last === null || last === undefined || Number(last) === Number(first)) return `line ${first}`;
  return `lines ${first}–${last}`;
}

function evidenceItem(evidence) {
  const type = evidence && typeof evidence.type === "string" ? evidence.type : "";
  if (type === "log_lines") {
    return element(
      "li",
      { class: "evidence evidence-log" },
      element("div", { class: "evidence-where" }, attachmentLabel(evidence.attachment), " ",
        lineRange(evidence.first_line, evidence.last_line), attachmentFileName(evidence.attachment)),
      typeof evidence.excerpt === "string" && evidence.excerpt !== ""
        ? element("pre", { class: "excerpt" }, element("code", { text: evidence.excerpt }))
        : null,
    );
  }
  if (type === "metric_point") {
    const when = formatTimestamp(evidence.timestamp);
    return element(
      "li",
      { class: "evidence evidence-metric" },
      element("div", { class: "evidence-where" }, attachmentLabel(evidence.attachment), " ",
        lineRange(evidence.line, evidence.line), attachmentFileName(evidence.attachment)),
      element(
        "pre",
        { class: "excerpt" },
        element("code", { text: `${String(evidence.series ?? "")}${when ? ` @ ${when}` : ""} = ${formatNumber(evidence.value)}` }),
      ),
    );
  }
  if (type === "span") {
    return element(
      "li",
      { class: "evidence evidence-span" },
      element("div", { class: "evidence-where" }, attachmentLabel(evidence.attachment), " trace ",
        element("code", { text: String(evidence.trace_id ?? "") }), " span ",
        element("code", { text: String(evidence.span_id ?? "") })),
    );
  }
  if (type === "config_key") {
    return element(
      "li",
      { class: "evidence evidence-config" },
      element("div", { class: "evidence-where" }, attachmentLabel(evidence.attachment), " ",
        evidence.line !== null && evidence.line !== undefined ? `${lineRange(evidence.line, evidence.line)} ` : "",
        element("code", { text: String(evidence.path ?? "") })),
    );
  }
  // A kind of evidence this page does not know yet: show what it points at, as text.
  return element(
    "li",
    { class: "evidence" },
    element("div", { class: "evidence-where" }, attachmentLabel(evidence && evidence.attachment), " ", humanize(type)),
  );
}

function findingWindow(finding) {
  const first = formatTimestamp(finding.first_seen);
  const last = formatTimestamp(finding.last_seen);
  if (first && last && first !== last) return `${first} → ${last}`;
  return first || last;
}

function findingItem(finding) {
  const id = String(finding.id ?? "");
  const severity = knownToken(String(finding.severity ?? ""), SEVERITIES, "info");
  const timeWindow = findingWindow(finding);
  const evidence = arrayOf(finding.evidence);
  return element(
    "li",
    { class: `finding severity-${severity}`, id: `finding-${id}`, tabindex: "-1" },
    element(
      "div",
      { class: "finding-head" },
      element("span", { class: `severity-badge severity-badge-${severity}`, text: humanize(finding.severity) }),
      element("h3", { class: "finding-title" },
        element("span", { class: "finding-id", text: id }), " ",
        element("span", { text: String(finding.title ?? "") })),
    ),
    element(
      "p",
      { class: "finding-meta" },
      element("span", { text: humanize(finding.kind) }),
      timeWindow ? [" · ", element("span", { text: timeWindow })] : null,
      typeof finding.score === "number" && Number.isFinite(finding.score)
        ? [" · score ", element("span", { text: finding.score.toFixed(2) })]
        : null,
    ),
    finding.detail ? element("p", { class: "finding-detail", text: String(finding.detail) }) : null,
    suspectChips(finding.subjects),
    evidence.length > 0 ? element("ul", { class: "evidence-list", "aria-label": `Evidence for ${id}` }, evidence.map(evidenceItem)) : null,
  );
}

export function renderFindings(findings) {
  const list = byId("findings");
  byId("findings-count").textContent = findings.length > 0 ? String(findings.length) : "";
  if (findings.length === 0) {
    list.replaceChildren(element("li", { class: "empty muted", text: "No findings in the attached data." }));
    return;
  }
  list.replaceChildren(...findings.map(findingItem));
}

export function renderAttachments(attachments) {
  const body = byId("attachments").tBodies[0];
  byId("attachments-count").textContent = attachments.length > 0 ? String(attachments.length) : "";
  body.replaceChildren();
  if (attachments.length === 0) {
    body.append(element("tr", {}, element("td", { colspan: "7", class: "muted", text: "No files were attached." })));
    return;
  }
  attachments.forEach((attachment, index) => {
    const issues = arrayOf(attachment.issues);
    const issuesRowId = `attachment-issues-${index}`;
    const issuesCount = issues.length + (attachment.issues_truncated ? "+" : "");
    let issuesCell;
    let issuesRow = null;
    if (issues.length > 0) {
      issuesRow = element(
        "tr",
        { class: "issues-row", id: issuesRowId, hidden: true },
        element(
          "td",
          { colspan: "7" },
          element(
            "ul",
            { class: "issues", "aria-label": `Parse issues in ${String(attachment.name ?? "")}` },
            issues.map((issue) =>
              element(
                "li",
                {},
                issue && issue.line !== null && issue.line !== undefined
                  ? element("span", { class: "issue-line", text: `line ${issue.line}` })
                  : element("span", { class: "issue-line", text: "file" }),
                " ",
                element("span", { text: String(issue && issue.reason ? issue.reason : "") }),
              ),
            ),
            attachment.issues_truncated
              ? element("li", { class: "muted", text: "More issues occurred than the server kept." })
              : null,
          ),
        ),
      );
      const toggle = element("button", {
        type: "button",
        class: "link-button",
        "aria-expanded": "false",
        "aria-controls": issuesRowId,
        text: `${issuesCount} ▸`,
        "aria-label": `Show ${issuesCount} parse issues`,
        onclick: () => {
          const open = toggle.getAttribute("aria-expanded") === "true";
          toggle.setAttribute("aria-expanded", String(!open));
          toggle.textContent = `${issuesCount} ${open ? "▸" : "▾"}`;
          toggle.setAttribute("aria-label", `${open ? "Show" : "Hide"} ${issuesCount} parse issues`);
          issuesRow.hidden = open;
        },
      });
      issuesCell = element("td", { class: "numeric", "data-label": "Issues" }, toggle);
    } else {
      issuesCell = element("td", { class: "numeric muted", "data-label": "Issues", text: "0" });
    }
    body.append(
      element(
        "tr",
        {},
        element("td", { "data-label": "Id" }, element("code", { text: String(attachment.id ?? "") })),
        element("td", { class: "attachment-name", "data-label": "Name", title: formatBytes(attachment.bytes) }, String(attachment.name ?? "")),
        element("td", { "data-label": "Role", text: humanize(attachment.role) }),
        element("td", { "data-label": "Kind", text: humanize(attachment.kind) }),
        element("td", { "data-label": "Format" }, element("code", { text: String(attachment.format ?? "") })),
        element("td", { class: "numeric", "data-label": "Records", text: formatCount(attachment.records) }),
        issuesCell,
      ),
    );
    if (issuesRow) body.append(issuesRow);
  });
}
