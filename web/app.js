// FaultMaven web UI: sends one troubleshoot request (question + files), renders the analysis and
// posts feedback on hypotheses. Plain browser JavaScript (ES modules) with no build step and no
// third-party code, because the page is embedded in the server binary and must work air-gapped.
// This module is the entry point: the form, submitting, a new session, and the wiring at start.
//
// Safety rule for every module of the page: every string that came from the server (and so
// possibly from an uploaded file) reaches the page through textContent or setAttribute, never
// through innerHTML. The single exception is the markdown answer, which renderMarkdown escapes
// before it adds any tag.

import { DisplayedError } from "./api.js";
import { arrayOf, byId, element, showToast } from "./dom.js";
import { preventStrayDrops, renderFileLists, wireDropZone } from "./files.js";
import { escapeHtml, renderMarkdown } from "./markdown.js";
import { renderResponse, renderSessionLabel } from "./results.js";
import { attachmentNames, state } from "./state.js";
import { hideStreamProgress, postTroubleshootStreaming } from "./stream.js";

function showFormError(error) {
  const box = byId("form-error");
  box.replaceChildren(
    element("strong", { class: "alert-title", text: error.title || "Something went wrong" }),
    error.detail ? element("span", { class: "alert-detail", text: error.detail }) : null,
  );
  box.hidden = false;
}

function clearFormError() {
  const box = byId("form-error");
  box.hidden = true;
  box.replaceChildren();
}

function setBusy(busy) {
  const button = byId("analyze");
  const label = byId("analyze-label");
  const status = byId("busy-status");
  const cancel = byId("cancel");
  if (state.busyTimer !== null) {
    clearInterval(state.busyTimer);
    state.busyTimer = null;
  }
  if (busy) {
    const started = performance.now();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.classList.add("busy");
    cancel.hidden = false;
    label.textContent = "Analyzing…";
    status.textContent = "Analyzing. The answer is written on this machine and can take half a minute.";
    const elapsed = element("span", { class: "elapsed", "aria-hidden": "true", text: "0 s" });
    label.append(" ", elapsed);
    state.busyTimer = setInterval(() => {
      elapsed.textContent = `${Math.floor((performance.now() - started) / 1000)} s`;
    }, 250);
  } else {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.classList.remove("busy");
    cancel.hidden = true;
    label.textContent = "Analyze";
  }
}

async function submit() {
  if (state.inFlight !== null) return;
  clearFormError();
  const queryInput = byId("query");
  const query = queryInput.value.trim();
  if (query === "" && state.incidentFiles.length === 0 && state.baselineFiles.length === 0) {
    showFormError(new DisplayedError("Nothing to analyze", "Type a question or attach at least one file."));
    queryInput.focus();
    return;
  }
  if (query === "" && state.incidentFiles.length === 0) {
    showFormError(new DisplayedError("Baseline without incident data", "Attach the incident files to compare with the baseline."));
    return;
  }

  const formData = new FormData();
  if (query !== "") formData.append("query", query);
  if (state.sessionId) formData.append("session_id", state.sessionId);
  for (const file of state.incidentFiles) formData.append("file", file, file.name);
  for (const file of state.baselineFiles) formData.append("baseline", file, file.name);
  const sentFiles = state.incidentFiles.map((file) => file.name)
    .concat(state.baselineFiles.map((file) => `${file.name} (baseline)`));

  const controller = new AbortController();
  state.inFlight = controller;
  setBusy(true);
  const started = performance.now();
  try {
    const response = await postTroubleshootStreaming(formData, controller.signal);
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    if (state.response !== null) {
      state.history.push({
        query: state.lastQuery,
        files: state.lastFiles,
        answer: state.response.answer,
      });
    }
    state.lastQuery = query;
    state.lastFiles = sentFiles;
    queryInput.value = "";
    queryInput.placeholder = "Ask a follow-up question about this session…";
    state.incidentFiles = [];
    state.baselineFiles = [];
    renderFileLists();
    renderResponse(response);
    const hypothesisCount = arrayOf(response.hypotheses).length;
    const findingCount = arrayOf(response.findings).length;
    byId("busy-status").textContent =
      `Done in ${seconds} s: ${hypothesisCount} hypotheses, ${findingCount} findings.`;
  } catch (error) {
    if (error && error.name === "AbortError") {
      byId("busy-status").textContent = "Cancelled.";
    } else {
      byId("busy-status").textContent = "";
      showFormError(error instanceof DisplayedError
        ? error
        : new DisplayedError("Something went wrong", String(error && error.message ? error.message : error)));
    }
  } finally {
    state.inFlight = null;
    setBusy(false);
    hideStreamProgress();
  }
}

function newSession() {
  if (state.inFlight !== null) state.inFlight.abort();
  state.sessionId = null;
  state.response = null;
  state.hypotheses = [];
  state.history = [];
  state.lastQuery = "";
  state.lastFiles = [];
  state.incidentFiles = [];
  state.baselineFiles = [];
  attachmentNames.clear();
  renderFileLists();
  clearFormError();
  byId("results").hidden = true;
  byId("history").hidden = true;
  byId("busy-status").textContent = "";
  byId("feedback-status").textContent = "";
  const queryInput = byId("query");
  queryInput.value = "";
  queryInput.placeholder = "What is going wrong? e.g. Why does checkout return 503 since 14:03?";
  renderSessionLabel();
  showToast("Started a new session.");
  queryInput.focus();
}

function start() {
  wireDropZone("incident-drop", "incident-files", "incidentFiles");
  wireDropZone("baseline-drop", "baseline-files", "baselineFiles");
  preventStrayDrops();
  renderFileLists();

  byId("troubleshoot-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  byId("query").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  });
  byId("cancel").addEventListener("click", () => {
    if (state.inFlight !== null) state.inFlight.abort();
  });
  byId("new-session").addEventListener("click", newSession);
  byId("query").focus();
}

// Exposed for the browser test, which checks the renderer's output on hostile input directly.
window.FaultMaven = Object.freeze({ renderMarkdown, escapeHtml });

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
