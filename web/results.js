// FaultMaven web UI: renders a troubleshoot response: chips, answer and its provenance, then the
// hypotheses, findings, attachments, templates, plots and the session's earlier turns.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.
// The one exception is the markdown answer, which renderMarkdown escapes before it adds any tag.

import {
  arrayOf,
  byId,
  element,
  formatCount,
  formatNumber,
  formatTimestamp,
  humanize,
  knownToken,
  svgElement,
} from "./dom.js";
import { renderAttachments, renderFindings, revealFinding } from "./findings.js";
import { renderHypotheses, renderQuestions } from "./hypotheses.js";
import { renderMarkdown } from "./markdown.js";
import { attachmentNames, state } from "./state.js";
import { renderTemplates } from "./templates.js";

const REQUEST_KIND_LABELS = {
  query_only: "Question only",
  data_only: "Data only",
  combined: "Question + data",
};

export function renderSessionLabel() {
  const label = byId("session-label");
  if (state.sessionId) {
    label.textContent = `Session ${String(state.sessionId).slice(0, 8)}`;
    label.title = `Session id ${state.sessionId}; follow-up questions continue it.`;
  } else {
    label.textContent = "No session yet";
    label.removeAttribute("title");
  }
}

export function renderResponse(response) {
  state.response = response;
  if (typeof response.session_id === "string" && response.session_id !== "") {
    state.sessionId = response.session_id;
  }
  renderSessionLabel();
  attachmentNames.clear();
  for (const attachment of arrayOf(response.attachments)) {
    attachmentNames.set(String(attachment.id), String(attachment.name ?? ""));
  }

  renderChips(response);
  renderNotices(arrayOf(response.notices));
  state.hypotheses = arrayOf(response.hypotheses);
  renderHypotheses();
  renderQuestions(response.follow_up_questions);
  byId("feedback-status").textContent = "";
  renderAnswer(response.answer);
  renderProvenance(response.answer_provenance);
  renderFindings(arrayOf(response.findings));
  renderAttachments(arrayOf(response.attachments));
  renderTemplates(arrayOf(response.templates));
  renderHistory();

  const results = byId("results");
  results.hidden = false;
  // After the results are shown, so the plots can measure the width they have.
  if (window.FaultMavenPlots) {
    window.FaultMavenPlots.render(response, {
      element, svgElement, arrayOf, humanize, knownToken, formatTimestamp, formatNumber, revealFinding,
    });
  }
  results.scrollIntoView({ behavior: "smooth", block: "start" });
}

function chip(label, value, extraClass) {
  return element(
    "span",
    { class: `chip ${extraClass || ""}`.trim() },
    element("span", { class: "chip-label", text: label }),
    element("span", { class: "chip-value", text: value }),
  );
}

function renderChips(response) {
  const chips = byId("summary-chips");
  const kind = String(response.request_kind ?? "");
  chips.replaceChildren(
    chip("Request", REQUEST_KIND_LABELS[kind] || humanize(kind), "chip-kind"),
    chip("Intent", humanize(response.intent), "chip-intent"),
  );
  const attachments = arrayOf(response.attachments);
  if (attachments.length > 0) {
    const records = attachments.reduce((sum, attachment) => sum + (Number(attachment.records) || 0), 0);
    chips.append(chip("Data", `${attachments.length} file${attachments.length === 1 ? "" : "s"}, ${formatCount(records)} records`));
  }
}

/** What limited the analysis (a budget spent): said above the results, as text. */
function renderNotices(notices) {
  const section = byId("notices-section");
  section.hidden = notices.length === 0;
  byId("notices").replaceChildren(...notices.map((notice) => element(
    "li",
    { class: "notice" },
    element("strong", { class: "notice-title", text: String(notice && notice.title ? notice.title : "") }),
    notice && notice.detail ? element("p", { class: "notice-detail", text: String(notice.detail) }) : null,
  )));
}

function renderAnswer(answer) {
  const container = byId("answer");
  if (typeof answer !== "string" || answer.trim() === "") {
    container.replaceChildren(element("p", { class: "muted", text: "No written answer for this request." }));
    return;
  }
  // renderMarkdown escapes all of the answer before it adds its own tags.
  container.innerHTML = renderMarkdown(answer);
}

/** Who wrote the answer and how long it took; says so when the model was not used. */
function renderProvenance(provenance) {
  const line = byId("answer-provenance");
  if (!provenance || typeof provenance !== "object") {
    line.hidden = true;
    line.replaceChildren();
    return;
  }
  const parts = [];
  const provider = typeof provenance.provider === "string" ? provenance.provider : "";
  if (provider !== "" && provider !== "none") {
    const seconds = Number(provenance.seconds);
    parts.push(`Written by ${provider}${Number.isFinite(seconds) && seconds > 0 ? ` in ${seconds.toFixed(1)} s` : ""}`);
  }
  if (typeof provenance.fallback_reason === "string" && provenance.fallback_reason !== "") {
    parts.push(`Model not used: ${provenance.fallback_reason}`);
  }
  const removed = arrayOf(provenance.removed_citations);
  if (removed.length > 0) {
    parts.push(`${removed.length} unverified citation${removed.length === 1 ? "" : "s"} removed`);
  }
  line.textContent = parts.join(" · ");
  line.hidden = parts.length === 0;
}

function renderHistory() {
  const section = byId("history");
  const list = byId("history-list");
  section.hidden = state.history.length === 0;
  byId("history-count").textContent = String(state.history.length);
  list.replaceChildren(
    ...state.history.map((turn) => {
      const answer = element("div", { class: "markdown history-answer" });
      // Escaped by renderMarkdown, like the main answer.
      answer.innerHTML = renderMarkdown(turn.answer || "");
      return element(
        "li",
        {},
        element("p", { class: "history-query", text: turn.query || "(no question, data only)" }),
        turn.files && turn.files.length > 0
          ? element("p", { class: "muted", text: `Files: ${turn.files.join(", ")}` })
          : null,
        element("details", {}, element("summary", { text: "Answer" }), answer),
      );
    }),
  );
}
