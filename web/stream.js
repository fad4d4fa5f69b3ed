// FaultMaven web UI: the troubleshoot call as server-sent events: stage progress and the summary
// shown as it is written, then the full response.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.

import { DisplayedError, TROUBLESHOOT_URL, errorFromResponse } from "./api.js";
import { arrayOf, byId, element, formatCount } from "./dom.js";

const STREAM_STAGES = [
  ["parsed", "Parse and redact the uploads"],
  ["analysed", "Analyse: templates, errors, anomalies"],
  ["retrieved", "Retrieve runbooks"],
  ["answering", "Write the answer"],
];

/** Shows the stage list, every stage pending, and an empty answer preview. */
function resetStreamProgress() {
  const panel = byId("stream-progress");
  const list = byId("stream-stages");
  list.replaceChildren(...STREAM_STAGES.map(([name, label], index) => element(
    "li",
    { class: index === 0 ? "stage stage-active" : "stage", "data-stage": name },
    element("span", { class: "stage-label", text: label }),
    element("span", { class: "stage-detail" }),
  )));
  const preview = byId("stream-answer");
  preview.textContent = "";
  preview.hidden = true;
  panel.hidden = false;
}

export function hideStreamProgress() {
  byId("stream-progress").hidden = true;
}

/** Marks `name` done with a detail line, and the next stage as the active one. */
function markStage(name, detail) {
  const items = Array.from(byId("stream-stages").children);
  const index = items.findIndex((item) => item.getAttribute("data-stage") === name);
  if (index < 0) return;
  for (let i = 0; i <= index; i += 1) {
    items[i].classList.remove("stage-active");
    items[i].classList.add("stage-done");
  }
  items[index].querySelector(".stage-detail").textContent = detail;
  if (index + 1 < items.length) items[index + 1].classList.add("stage-active");
}

/** Appends model text to the live preview; textContent keeps it inert. */
function appendAnswerPreview(text) {
  const preview = byId("stream-answer");
  preview.hidden = false;
  preview.textContent += text;
}

function applyStreamEvent(name, data) {
  if (name === "parsed") {
    const attachments = arrayOf(data.attachments);
    const records = attachments.reduce((sum, a) => sum + (Number(a.records) || 0), 0);
    markStage("parsed", attachments.length === 0
      ? "no files"
      : `${attachments.length} file${attachments.length === 1 ? "" : "s"}, ${formatCount(records)} records`);
  } else if (name === "analysed") {
    markStage("analysed", `${formatCount(Number(data.findings) || 0)} findings`);
  } else if (name === "retrieved") {
    markStage("retrieved", `${arrayOf(data.runbooks).length} runbooks`);
  } else if (name === "answering") {
    const provider = typeof data.provider === "string" ? data.provider : "";
    const item = byId("stream-stages").querySelector('[data-stage="answering"] .stage-detail');
    if (item) item.textContent = provider === "none" || provider === "" ? "by the engine" : `by ${provider}`;
  } else if (name === "answer_delta" && typeof data.text === "string") {
    appendAnswerPreview(data.text);
  } else if (name === "answer_reset") {
    // The remote model failed part-way; the fallback model's text replaces what it wrote.
    byId("stream-answer").textContent = "";
  }
}

/** Splits decoded text into complete events; returns the unfinished rest. */
function drainEvents(buffer, onEvent) {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    let name = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length > 0) onEvent(name, data.join("\n"));
  }
  return rest;
}

/**
 * The troubleshoot call asking for server-sent events: stages update the progress list as they
 * arrive and the summary streams into the preview; resolves with the `done` response. A plain
 * JSON answer (an older server, a proxy) is accepted as is.
 */
export async function postTroubleshootStreaming(formData, signal) {
  let response;
  try {
    response = await fetch(TROUBLESHOOT_URL, {
      method: "POST",
      body: formData,
      signal,
      headers: { Accept: "text/event-stream, application/json;q=0.5" },
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new DisplayedError("Could not reach the FaultMaven server", "Check that it is running, then try again.");
  }
  if (!response.ok) throw await errorFromResponse(response);
  const contentType = response.headers.get("content-type") || "";
  if (!contentType.includes("text/event-stream") || !response.body) {
    try {
      return await response.json();
    } catch (_) {
      throw new DisplayedError("The server sent a response this page cannot read", "Expected JSON.");
    }
  }
  resetStreamProgress();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let result = null;
  let failure = null;
  const onEvent = (name, text) => {
    let data;
    try {
      data = JSON.parse(text);
    } catch (_) {
      failure = new DisplayedError("The server sent a response this page cannot read", `Event ${name} is not JSON.`);
      return;
    }
    if (name === "done") result = data;
    else if (name === "error") {
      failure = new DisplayedError(
        typeof data.title === "string" && data.title !== "" ? data.title : "Request failed",
        typeof data.detail === "string" ? data.detail : "",
      );
    } else applyStreamEvent(name, data);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = drainEvents(buffer + decoder.decode(value, { stream: true }), onEvent);
    if (failure) break;
  }
  drainEvents(`${buffer}${decoder.decode()}\n\n`, onEvent);
  hideStreamProgress();
  if (failure) throw failure;
  if (result === null) {
    throw new DisplayedError("The answer stream ended early", "The server closed the connection before the answer was complete.");
  }
  return result;
}
