// FaultMaven web UI: hypothesis cards (confidence, next steps with copyable commands, evidence
// links), feedback on them and answers to follow-up questions, both re-ranking at once.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.

import { DisplayedError, answersUrl, postFeedback, postJson } from "./api.js";
import { arrayOf, byId, element, humanize, knownToken, percent } from "./dom.js";
import { revealFinding, suspectChips } from "./findings.js";
import { state } from "./state.js";

const STATUS_LABELS = { open: "Open", confirmed: "Confirmed", ruled_out: "Ruled out" };
const VERDICTS = [
  { verdict: "worked", label: "Worked", done: "marked as the fix that worked" },
  { verdict: "ruled_out", label: "Ruled out", done: "ruled out" },
  { verdict: "helpful", label: "Helpful", done: "marked helpful" },
  { verdict: "not_helpful", label: "Not helpful", done: "marked not helpful" },
];

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on a LAN address is not a secure context: fall back to a selection copy.
  const scratch = element("textarea", { class: "visually-hidden", readonly: true, "aria-hidden": "true" });
  scratch.value = text;
  document.body.append(scratch);
  scratch.select();
  const copied = document.execCommand("copy");
  scratch.remove();
  if (!copied) throw new Error("copy refused");
}

function commandBlock(command) {
  const code = element("code", { text: command });
  const button = element("button", {
    type: "button",
    class: "copy-button",
    "aria-label": "Copy command",
    text: "Copy",
    onclick: async () => {
      try {
        await copyText(command);
        button.textContent = "Copied";
      } catch (_) {
        button.textContent = "Copy failed";
      }
      setTimeout(() => {
        button.textContent = "Copy";
      }, 1600);
    },
  });
  return element("div", { class: "command" }, element("pre", {}, code), button);
}

function findingLinks(findingIds) {
  const ids = arrayOf(findingIds);
  if (ids.length === 0) return null;
  return element(
    "p",
    { class: "finding-links" },
    "Evidence: ",
    ids.map((id, position) => [
      position > 0 ? " " : null,
      element("a", {
        href: `#finding-${encodeURIComponent(String(id))}`,
        class: "finding-link",
        text: String(id),
        onclick: (event) => {
          event.preventDefault();
          revealFinding(String(id));
        },
      }),
    ]),
  );
}

function confidenceMeter(confidence) {
  const value = percent(confidence);
  const fill = element("span", { class: "meter-fill" });
  fill.style.width = `${value}%`;
  return element(
    "div",
    { class: "confidence" },
    element(
      "span",
      {
        class: "meter",
        role: "meter",
        "aria-label": "Confidence",
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": String(value),
        "aria-valuetext": `${value}%`,
      },
      fill,
    ),
    element("span", { class: "confidence-value", text: `${value}%` }),
  );
}

function hypothesisCard(hypothesis, rank) {
  const id = String(hypothesis.id ?? "");
  const status = knownToken(String(hypothesis.status ?? "open"), Object.keys(STATUS_LABELS), "open");
  const headingId = `hypothesis-title-${rank}`;
  const nextSteps = arrayOf(hypothesis.next_steps);
  const comment = element("input", {
    type: "text",
    class: "feedback-comment",
    maxlength: "2000",
    placeholder: "Optional note",
    "aria-label": `Note for feedback on ${id}`,
  });

  const feedbackButtons = VERDICTS.map(({ verdict, label }) =>
    element("button", {
      type: "button",
      class: `button button-small feedback-${verdict}`,
      "data-verdict": verdict,
      text: label,
      onclick: () => sendFeedback(id, verdict, comment.value),
    }),
  );

  return element(
    "li",
    {
      class: `hypothesis status-${status}`,
      "data-hypothesis-id": id,
      "aria-labelledby": headingId,
    },
    element(
      "div",
      { class: "hypothesis-head" },
      element("span", { class: "rank", text: `#${rank}` }),
      element("h3", { id: headingId, class: "hypothesis-title", tabindex: "-1" },
        element("span", { class: "hypothesis-id", text: id }),
        " ",
        element("span", { text: String(hypothesis.title ?? "") })),
      element("span", { class: `status-badge status-badge-${status}`, text: STATUS_LABELS[status] }),
    ),
    confidenceMeter(hypothesis.confidence),
    element(
      "p",
      { class: "hypothesis-meta" },
      element("span", { class: "category", text: humanize(hypothesis.category) }),
      hypothesis.runbook ? [" · runbook ", element("code", { text: String(hypothesis.runbook) })] : null,
    ),
    hypothesis.rationale ? element("p", { class: "rationale", text: String(hypothesis.rationale) }) : null,
    suspectChips(hypothesis.suspects),
    findingLinks(hypothesis.finding_ids),
    nextSteps.length > 0
      ? element(
        "div",
        { class: "next-steps" },
        element("h4", { text: "Next steps" }),
        element(
          "ol",
          {},
          nextSteps.map((step) =>
            element(
              "li",
              {},
              element("p", { text: String(step && step.description ? step.description : "") }),
              step && typeof step.command === "string" && step.command !== "" ? commandBlock(step.command) : null,
            ),
          ),
        ),
      )
      : null,
    element(
      "div",
      { class: "feedback", role: "group", "aria-label": `Feedback on ${id}` },
      element("div", { class: "feedback-buttons" }, feedbackButtons),
      comment,
    ),
  );
}

export function renderHypotheses() {
  const list = byId("hypotheses");
  const hypotheses = state.hypotheses;
  byId("hypotheses-count").textContent = hypotheses.length > 0 ? String(hypotheses.length) : "";
  if (hypotheses.length === 0) {
    list.replaceChildren(element("li", { class: "empty muted", text: "No hypotheses: the data did not point at a cause. Add more data or ask a more specific question." }));
    return;
  }
  list.replaceChildren(...hypotheses.map((hypothesis, index) => hypothesisCard(hypothesis, index + 1)));
}

export function renderQuestions(questions) {
  window.FaultMavenQuestions.render(byId("questions-section"), byId("questions"), questions, element, sendAnswer);
}

/** Answers a follow-up question; the hypotheses come back re-ranked, the questions updated. */
async function sendAnswer(questionId, answer) {
  if (state.feedbackPending || !state.sessionId) return;
  state.feedbackPending = true;
  const statusLine = byId("feedback-status");
  document.querySelectorAll("#questions button").forEach((button) => {
    button.disabled = true;
  });
  statusLine.classList.remove("error");
  statusLine.textContent = "Sending the answer…";
  try {
    const result = await postJson(answersUrl(state.sessionId), { question_id: questionId, answer }, "Your answer was not saved.");
    state.hypotheses = arrayOf(result && result.hypotheses);
    if (state.response) state.response.hypotheses = state.hypotheses;
    renderHypotheses();
    renderQuestions(result && result.follow_up_questions);
    const top = state.hypotheses[0];
    statusLine.textContent = `${questionId} answered${top ? `; ${top.id} now leads` : ""}.`;
  } catch (error) {
    statusLine.classList.add("error");
    statusLine.textContent = error instanceof DisplayedError
      ? `${error.title}${error.detail ? `: ${error.detail}` : ""}`
      : "The answer failed.";
    renderQuestions(state.response && state.response.follow_up_questions);
  } finally {
    state.feedbackPending = false;
  }
}

async function sendFeedback(hypothesisId, verdict, comment) {
  if (state.feedbackPending || !state.sessionId) return;
  state.feedbackPending = true;
  const statusLine = byId("feedback-status");
  const buttons = document.querySelectorAll("#hypotheses .feedback button");
  buttons.forEach((button) => {
    button.disabled = true;
  });
  statusLine.classList.remove("error");
  statusLine.textContent = "Sending feedback…";
  const oldRank = state.hypotheses.findIndex((hypothesis) => String(hypothesis.id) === hypothesisId) + 1;
  try {
    const result = await postFeedback(state.sessionId, {
      hypothesis_id: hypothesisId,
      verdict,
      comment: String(comment || ""),
    });
    const reranked = arrayOf(result && result.hypotheses);
    state.hypotheses = reranked;
    if (state.response) state.response.hypotheses = reranked;
    renderHypotheses();
    const newRank = reranked.findIndex((hypothesis) => String(hypothesis.id) === hypothesisId) + 1;
    const verdictInfo = VERDICTS.find((entry) => entry.verdict === verdict);
    let movement = "";
    if (oldRank > 0 && newRank > 0 && oldRank !== newRank) movement = `; moved from #${oldRank} to #${newRank}`;
    else if (newRank > 0) movement = `; still #${newRank}`;
    const confirmation = `${hypothesisId} ${verdictInfo ? verdictInfo.done : verdict}${movement}.`;
    statusLine.textContent = confirmation;
    const card = Array.from(document.querySelectorAll("#hypotheses .hypothesis"))
      .find((node) => node.getAttribute("data-hypothesis-id") === hypothesisId);
    if (card) {
      card.classList.add("just-updated");
      // Repeated on the card itself: after re-ranking it may be far from the list's status line.
      const head = card.querySelector(".hypothesis-head");
      if (head) head.after(element("p", { class: "card-confirmation", "aria-hidden": "true", text: `✓ ${confirmation}` }));
      const heading = card.querySelector(".hypothesis-title");
      if (heading) heading.focus({ preventScroll: true });
      card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    }
  } catch (error) {
    statusLine.classList.add("error");
    statusLine.textContent = error instanceof DisplayedError
      ? `${error.title}${error.detail ? `: ${error.detail}` : ""}`
      : "Feedback failed.";
    buttons.forEach((button) => {
      button.disabled = false;
    });
  } finally {
    state.feedbackPending = false;
  }
}
