// FaultMaven web UI: sends one troubleshoot request (question + files), renders the analysis and
// posts feedback on hypotheses. Plain browser JavaScript with no build step and no third-party
// code, because the page is embedded in the server binary and must work air-gapped.
//
// Safety rule for this file: every string that came from the server (and so possibly from an
// uploaded file) reaches the page through textContent or setAttribute, never through innerHTML.
// The single exception is the markdown answer, which renderMarkdown escapes before it adds any tag.
"use strict";

(function () {
  const TROUBLESHOOT_URL = "api/v1/troubleshoot";
  const feedbackUrl = (sessionId) => `api/v1/sessions/${encodeURIComponent(sessionId)}/feedback`;
  const answersUrl = (sessionId) => `api/v1/sessions/${encodeURIComponent(sessionId)}/answers`;

  const REQUEST_KIND_LABELS = {
    query_only: "Question only",
    data_only: "Data only",
    combined: "Question + data",
  };
  const SEVERITIES = ["critical", "high", "medium", "low", "info"];
  const STATUS_LABELS = { open: "Open", confirmed: "Confirmed", ruled_out: "Ruled out" };
  const VERDICTS = [
    { verdict: "worked", label: "Worked", done: "marked as the fix that worked" },
    { verdict: "ruled_out", label: "Ruled out", done: "ruled out" },
    { verdict: "helpful", label: "Helpful", done: "marked helpful" },
    { verdict: "not_helpful", label: "Not helpful", done: "marked not helpful" },
  ];

  // ---------------------------------------------------------------------------------------------
  // Escaping and the markdown renderer
  // ---------------------------------------------------------------------------------------------

  /** Escapes the five characters that matter in HTML text and attribute values. */
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  // Private-use characters mark inline code spans while the other inline rules run, so that
  // `**not bold**` inside backticks stays literal. Any such characters in the input are dropped
  // first so a hostile answer cannot forge a marker.
  const CODE_MARK_OPEN = "\uE000";
  const CODE_MARK_CLOSE = "\uE001";

  /** Inline markdown on one already-escaped line: code spans, bold, italics. */
  function renderInline(escapedText) {
    const codeSpans = [];
    let text = escapedText.replace(/`([^`]+)`/g, (_, code) => {
      codeSpans.push(code);
      return `${CODE_MARK_OPEN}${codeSpans.length - 1}${CODE_MARK_CLOSE}`;
    });
    text = text
      .replace(/\*\*(?=\S)([^*]*?\S)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^\w])__(?=\S)([^_]*?\S)__(?!\w)/g, "$1<strong>$2</strong>")
      // Single underscores are left alone: they are everywhere in identifiers (diagnose_error).
      .replace(/(^|[^*\w])\*(?=\S)([^*]*?\S)\*(?![*\w])/g, "$1<em>$2</em>");
    const codePattern = new RegExp(`${CODE_MARK_OPEN}(\\d+)${CODE_MARK_CLOSE}`, "g");
    return text.replace(codePattern, (_, index) => `<code>${codeSpans[Number(index)]}</code>`);
  }

  /**
   * Renders a small, safe subset of markdown to HTML: headings, paragraphs, bullet and numbered
   * lists, block quotes, fenced and indented code blocks, horizontal rules, and inline code,
   * bold and italics. The whole input is HTML-escaped before any rule runs and the rules only add
   * fixed tags without attributes, so no input can produce an element or attribute of its own.
   */
  function renderMarkdown(markdown) {
    const cleaned = String(markdown ?? "")
      .replace(/\r\n?/g, "\n")
      .replace(/[\uE000\uE001]/g, "");
    const lines = escapeHtml(cleaned).split("\n");
    const html = [];
    let paragraph = [];
    let list = null; // { tag: "ul" | "ol", items: [string] }
    let quote = [];

    const flushParagraph = () => {
      if (paragraph.length > 0) {
        html.push(`<p>${paragraph.map(renderInline).join("<br>")}</p>`);
        paragraph = [];
      }
    };
    const flushList = () => {
      if (list !== null) {
        const items = list.items.map((item) => `<li>${renderInline(item)}</li>`).join("");
        html.push(`<${list.tag}>${items}</${list.tag}>`);
        list = null;
      }
    };
    const flushQuote = () => {
      if (quote.length > 0) {
        html.push(`<blockquote><p>${quote.map(renderInline).join("<br>")}</p></blockquote>`);
        quote = [];
      }
    };
    const flushAll = () => {
      flushParagraph();
      flushList();
      flushQuote();
    };

    for (let index = 0; index < lines.length; index += 1) {
      const line = lines[index];

      const fence = /^\s*(```|~~~)/.exec(line);
      if (fence) {
        flushAll();
        const code = [];
        index += 1;
        while (index < lines.length && !lines[index].trimStart().startsWith(fence[1])) {
          code.push(lines[index]);
          index += 1;
        }
        html.push(`<pre><code>${code.join("\n")}</code></pre>`);
        continue;
      }

      if (line.trim() === "") {
        flushAll();
        continue;
      }

      const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
      if (heading) {
        flushAll();
        // The answer sits under an h2, so markdown levels start at h3.
        const level = Math.min(heading[1].length + 2, 6);
        html.push(`<h${level}>${renderInline(heading[2])}</h${level}>`);
        continue;
      }

      if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
        flushAll();
        html.push("<hr>");
        continue;
      }

      const bullet = /^\s{0,3}[-*+]\s+(.*)$/.exec(line);
      const numbered = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/.exec(line);
      if (bullet || numbered) {
        const tag = bullet ? "ul" : "ol";
        flushParagraph();
        flushQuote();
        if (list !== null && list.tag !== tag) flushList();
        if (list === null) list = { tag, items: [] };
        list.items.push((bullet || numbered)[1]);
        continue;
      }

      const quoted = /^\s{0,3}&gt;\s?(.*)$/.exec(line);
      if (quoted) {
        flushParagraph();
        flushList();
        quote.push(quoted[1]);
        continue;
      }

      // An indented line right after a list item continues that item.
      if (list !== null && /^\s{2,}\S/.test(line)) {
        list.items[list.items.length - 1] += ` ${line.trim()}`;
        continue;
      }

      if (paragraph.length === 0 && list === null && /^( {4}|\t)/.test(line)) {
        flushQuote();
        const code = [];
        while (index < lines.length && (/^( {4}|\t)/.test(lines[index]) || lines[index].trim() === "")) {
          code.push(lines[index].replace(/^( {4}|\t)/, ""));
          index += 1;
        }
        index -= 1;
        while (code.length > 0 && code[code.length - 1].trim() === "") code.pop();
        html.push(`<pre><code>${code.join("\n")}</code></pre>`);
        continue;
      }

      flushList();
      flushQuote();
      paragraph.push(line.trim());
    }
    flushAll();
    return html.join("\n");
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers: build elements from code, put server text in as text
  // ---------------------------------------------------------------------------------------------

  /**
   * Creates an element. `attributes` keys: `class`, `text` (textContent), `on<event>` (listener,
   * only ever functions from this file), anything else through setAttribute. Children are nodes
   * or strings; strings become text nodes.
   */
  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = String(value);
      else if (name.startsWith("on") && typeof value === "function") {
        node.addEventListener(name.slice(2), value);
      } else node.setAttribute(name, value === true ? "" : String(value));
    }
    appendChildren(node, children);
    return node;
  }

  function appendChildren(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  const byId = (id) => document.getElementById(id);

  /** Turns snake_case enum values into words; unknown values are shown as sent, as text. */
  function humanize(value) {
    const text = String(value ?? "");
    const spaced = text.replace(/_/g, " ");
    return spaced.charAt(0).toUpperCase() + spaced.slice(1);
  }

  /** A CSS-safe token for a value from a fixed set, so server strings never become class names. */
  function knownToken(value, allowed, fallback) {
    return allowed.includes(value) ? value : fallback;
  }

  function formatBytes(bytes) {
    const value = Number(bytes);
    if (!Number.isFinite(value)) return "";
    if (value < 1024) return `${value} B`;
    if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
    return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  }

  function formatCount(value) {
    const number = Number(value);
    return Number.isFinite(number) ? number.toLocaleString("en-US") : "";
  }

  /** RFC 3339 timestamps shown in UTC, to the second, as an SRE reads them next to logs. */
  function formatTimestamp(value) {
    if (value === null || value === undefined || value === "") return "";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  function formatNumber(value) {
    const number = Number(value);
    if (!Number.isFinite(number)) return String(value);
    if (Number.isInteger(number)) return String(number);
    return String(Number(number.toPrecision(6)));
  }

  function percent(fraction) {
    const number = Number(fraction);
    if (!Number.isFinite(number)) return 0;
    return Math.round(Math.min(Math.max(number, 0), 1) * 100);
  }

  function arrayOf(value) {
    return Array.isArray(value) ? value : [];
  }

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------

  const state = {
    sessionId: null,
    incidentFiles: [],
    baselineFiles: [],
    response: null,
    hypotheses: [],
    history: [],
    lastQuery: "",
    lastFiles: [],
    inFlight: null, // AbortController of the running troubleshoot request
    busyTimer: null,
    feedbackPending: false,
  };

  const attachmentNames = new Map();

  // ---------------------------------------------------------------------------------------------
  // Chosen files
  // ---------------------------------------------------------------------------------------------

  function fileKey(file) {
    return `${file.name}\u0000${file.size}\u0000${file.lastModified}`;
  }

  function addFiles(listName, fileList) {
    const current = state[listName];
    const known = new Set(current.map(fileKey));
    for (const file of Array.from(fileList)) {
      if (!known.has(fileKey(file))) {
        current.push(file);
        known.add(fileKey(file));
      }
    }
    renderFileLists();
  }

  function removeFile(listName, index) {
    state[listName].splice(index, 1);
    renderFileLists();
  }

  function renderFileList(listName, container, labelSuffix) {
    container.replaceChildren();
    const files = state[listName];
    if (files.length === 0) {
      container.hidden = true;
      return;
    }
    container.hidden = false;
    files.forEach((file, index) => {
      container.append(
        element(
          "li",
          { class: "file-item" },
          element("span", { class: "file-name", text: file.name, title: file.name }),
          element("span", { class: "file-size", text: formatBytes(file.size) }),
          element("button", {
            type: "button",
            class: "icon-button",
            "aria-label": `Remove ${file.name}${labelSuffix}`,
            title: "Remove",
            text: "×",
            onclick: () => {
              removeFile(listName, index);
              // Keep keyboard focus in the list instead of losing it to the document.
              const buttons = container.querySelectorAll("button");
              const next = buttons[Math.min(index, buttons.length - 1)];
              if (next) next.focus();
              else byId(listName === "incidentFiles" ? "incident-files" : "baseline-files").focus();
            },
          }),
        ),
      );
    });
  }

  function renderFileLists() {
    renderFileList("incidentFiles", byId("incident-list"), "");
    renderFileList("baselineFiles", byId("baseline-list"), " from baseline");
  }

  function wireDropZone(zoneId, inputId, listName) {
    const zone = byId(zoneId);
    const input = byId(inputId);
    input.addEventListener("change", () => {
      addFiles(listName, input.files);
      // Clearing lets the same file be chosen again after it was removed.
      input.value = "";
    });
    let depth = 0;
    zone.addEventListener("dragenter", (event) => {
      event.preventDefault();
      depth += 1;
      zone.classList.add("drag-over");
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove("drag-over");
    });
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      depth = 0;
      zone.classList.remove("drag-over");
      if (event.dataTransfer && event.dataTransfer.files.length > 0) {
        addFiles(listName, event.dataTransfer.files);
      }
    });
  }

  // A file dropped outside a zone would otherwise make the browser navigate away and lose the
  // session's results.
  function preventStrayDrops() {
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
  }

  // ---------------------------------------------------------------------------------------------
  // Talking to the server
  // ---------------------------------------------------------------------------------------------

  /** An error to show the user: a title and an optional detail. */
  class DisplayedError extends Error {
    constructor(title, detail) {
      super(detail ? `${title}: ${detail}` : title);
      this.title = title;
      this.detail = detail || "";
    }
  }

  /** Reads an error response: RFC 9457 problem JSON when the server sent it, else the status. */
  async function errorFromResponse(response) {
    const contentType = response.headers.get("content-type") || "";
    const bodyText = await response.text().catch(() => "");
    if (contentType.includes("json")) {
      try {
        const problem = JSON.parse(bodyText);
        if (problem && typeof problem === "object") {
          const title = typeof problem.title === "string" && problem.title !== ""
            ? problem.title
            : `Request failed (${response.status})`;
          const detail = typeof problem.detail === "string" ? problem.detail : "";
          return new DisplayedError(title, detail);
        }
      } catch (_) {
        // Not JSON after all: fall through to the plain status.
      }
    }
    const statusText = response.statusText ? ` ${response.statusText}` : "";
    return new DisplayedError(
      `Request failed (${response.status}${statusText})`,
      bodyText.trim().slice(0, 300),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Streaming the answer (server-sent events): stage progress and the summary as it is written
  // ---------------------------------------------------------------------------------------------

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

  function hideStreamProgress() {
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
  async function postTroubleshootStreaming(formData, signal) {
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

  async function postFeedback(sessionId, body) {
    return postJson(feedbackUrl(sessionId), body, "Your feedback was not saved.");
  }

  /** POSTs JSON and reads the JSON answer; failures become a DisplayedError. */
  async function postJson(url, body, notSaved) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (_) {
      throw new DisplayedError("Could not reach the FaultMaven server", notSaved);
    }
    if (!response.ok) throw await errorFromResponse(response);
    try {
      return await response.json();
    } catch (_) {
      throw new DisplayedError("The server sent a response this page cannot read", "Expected JSON.");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Submitting
  // ---------------------------------------------------------------------------------------------

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

  function renderSessionLabel() {
    const label = byId("session-label");
    if (state.sessionId) {
      label.textContent = `Session ${String(state.sessionId).slice(0, 8)}`;
      label.title = `Session id ${state.sessionId}; follow-up questions continue it.`;
    } else {
      label.textContent = "No session yet";
      label.removeAttribute("title");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering the response
  // ---------------------------------------------------------------------------------------------

  function renderResponse(response) {
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

  function suspectChips(suspects) {
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

  function revealFinding(findingId) {
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

  function renderHypotheses() {
    const list = byId("hypotheses");
    const hypotheses = state.hypotheses;
    byId("hypotheses-count").textContent = hypotheses.length > 0 ? String(hypotheses.length) : "";
    if (hypotheses.length === 0) {
      list.replaceChildren(element("li", { class: "empty muted", text: "No hypotheses: the data did not point at a cause. Add more data or ask a more specific question." }));
      return;
    }
    list.replaceChildren(...hypotheses.map((hypothesis, index) => hypothesisCard(hypothesis, index + 1)));
  }

  function renderQuestions(questions) {
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

  function renderFindings(findings) {
    const list = byId("findings");
    byId("findings-count").textContent = findings.length > 0 ? String(findings.length) : "";
    if (findings.length === 0) {
      list.replaceChildren(element("li", { class: "empty muted", text: "No findings in the attached data." }));
      return;
    }
    list.replaceChildren(...findings.map(findingItem));
  }

  function renderAttachments(attachments) {
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

  const TEMPLATES_SHOWN = 50;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SPARK_WIDTH = 120;
  const SPARK_HEIGHT = 24;

  function svgElement(tag, attributes = {}) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "class") node.setAttribute("class", value);
      else node.setAttribute(name, String(value));
    }
    return node;
  }

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

  function renderTemplates(templates) {
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

  // ---------------------------------------------------------------------------------------------
  // Small things
  // ---------------------------------------------------------------------------------------------

  let toastTimer = null;
  function showToast(message) {
    const toast = byId("toast");
    toast.textContent = message;
    toast.hidden = false;
    if (toastTimer !== null) clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, 2500);
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
})();
