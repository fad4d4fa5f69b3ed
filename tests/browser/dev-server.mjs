// Development aid only: serves web/ and answers the FaultMaven API with canned analysis, so the page
// can be worked on without building the Rust server. The browser test runs against the real server
// (FAULTMAVEN_URL); never point users at this.
//
//   node tests/browser/dev-server.mjs [port]        (default port 8799, DEV_DELAY_MS=2500)
//
// Attachment summaries are computed from the files actually uploaded (name, bytes, lines), and the
// first ERROR lines of each upload become a finding with its real line number, so hostile uploads
// exercise the page's escaping. The rest of the analysis comes from
// testdata/browser/checkout-response.json.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const webDir = path.join(repoRoot, "web");
const cannedPath = path.join(repoRoot, "testdata", "browser", "checkout-response.json");
const port = Number(process.argv[2] || process.env.PORT || 8799);
const delayMs = Number(process.env.DEV_DELAY_MS ?? 2500);
const maxUploadBytes = 20 * 1024 * 1024;

const staticFiles = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
  "/plots.css": ["plots.css", "text/css; charset=utf-8"],
};
// Every script of the page: the classic plots.js and questions.js, app.js and the modules it imports.
for (const script of ["app", "api", "dom", "files", "findings", "hypotheses", "markdown", "results",
  "state", "stream", "templates", "questions", "plots"]) {
  staticFiles[`/${script}.js`] = [`${script}.js`, "text/javascript; charset=utf-8"];
}

/** session id -> hypotheses, so feedback re-ranks what the page last saw. */
const sessions = new Map();

function sendJson(response, status, body, contentType = "application/json") {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}

function sendProblem(response, status, title, detail) {
  sendJson(response, status, { type: "about:blank", title, status, detail }, "application/problem+json");
}

async function readBody(request) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > maxUploadBytes) throw Object.assign(new Error("too large"), { tooLarge: true });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function summarizeUpload(file, text, id, role) {
  const lines = text === "" ? 0 : text.replace(/\n$/, "").split("\n").length;
  return {
    id,
    name: file.name,
    role,
    kind: "log",
    format: "plain_text_log",
    bytes: Buffer.byteLength(text),
    lines,
    records: lines,
    issues: [],
    issues_truncated: false,
  };
}

function errorLineFinding(uploads, findingNumber) {
  for (const { id, text } of uploads) {
    const lines = text.split("\n");
    const errorLines = [];
    lines.forEach((line, index) => {
      if (/\bERROR\b/.test(line)) errorLines.push(index + 1);
    });
    if (errorLines.length > 0) {
      const first = errorLines[0];
      return {
        id: `F${findingNumber}`,
        kind: "error_template",
        severity: "high",
        title: `${errorLines.length} error lines, first: ${lines[first - 1].slice(0, 160)}`,
        detail: `Error-level lines in ${id} (dev server: this finding is computed, the others are canned).`,
        score: 0.9,
        first_seen: null,
        last_seen: null,
        subjects: [],
        template_id: null,
        evidence: [{
          type: "log_lines",
          attachment: id,
          first_line: first,
          last_line: errorLines[Math.min(errorLines.length, 3) - 1],
          excerpt: lines[first - 1].slice(0, 300),
        }],
      };
    }
  }
  return null;
}

async function handleTroubleshoot(request, response) {
  let body;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error.tooLarge) {
      sendProblem(response, 413, "Upload too large", `the request is larger than ${maxUploadBytes} bytes`);
      return;
    }
    throw error;
  }
  const form = await new Request("http://dev/", {
    method: "POST",
    headers: { "content-type": request.headers["content-type"] || "" },
    body,
  }).formData();

  const query = String(form.get("query") || "");
  let sessionId = String(form.get("session_id") || "");
  const incident = form.getAll("file").filter((value) => typeof value !== "string");
  const baseline = form.getAll("baseline").filter((value) => typeof value !== "string");
  if (query === "" && incident.length === 0) {
    sendProblem(response, 400, "Nothing to analyze", "send a question, files, or both");
    return;
  }
  if (sessionId !== "" && !sessions.has(sessionId)) {
    sendProblem(response, 404, "Unknown session", `no session ${sessionId}; start a new one`);
    return;
  }
  if (sessionId === "") sessionId = randomBytes(16).toString("hex");

  const canned = JSON.parse(await readFile(cannedPath, "utf8"));
  const uploads = [];
  let number = 1;
  for (const [files, role] of [[incident, "incident"], [baseline, "baseline"]]) {
    for (const file of files) {
      uploads.push({ id: `a${number}`, role, file, text: await file.text() });
      number += 1;
    }
  }
  canned.session_id = sessionId;
  canned.request_kind = query === "" ? "data_only" : (uploads.length === 0 ? "query_only" : "combined");
  canned.attachments = uploads.map(({ id, role, file, text }) => summarizeUpload(file, text, id, role));
  const computed = errorLineFinding(uploads.filter((upload) => upload.role === "incident"), canned.findings.length + 1);
  if (computed) canned.findings.unshift(computed);
  if (query !== "") canned.answer = `> ${query.split("\n").join("\n> ")}\n\n${canned.answer}`;
  if (sessions.has(sessionId)) canned.hypotheses = sessions.get(sessionId);
  sessions.set(sessionId, canned.hypotheses);

  await sleep(delayMs);
  sendJson(response, 200, canned);
}

const verdictEffects = {
  worked: (hypothesis) => ({ ...hypothesis, status: "confirmed", confidence: Math.max(hypothesis.confidence, 0.97) }),
  ruled_out: (hypothesis) => ({ ...hypothesis, status: "ruled_out", confidence: hypothesis.confidence * 0.1 }),
  helpful: (hypothesis) => ({ ...hypothesis, confidence: Math.min(1, hypothesis.confidence + 0.08) }),
  not_helpful: (hypothesis) => ({ ...hypothesis, confidence: hypothesis.confidence * 0.7 }),
};

async function handleFeedback(request, response, sessionId) {
  const hypotheses = sessions.get(sessionId);
  if (!hypotheses) {
    sendProblem(response, 404, "Unknown session", `no session ${sessionId}`);
    return;
  }
  let feedback;
  try {
    feedback = JSON.parse((await readBody(request)).toString("utf8"));
  } catch (_) {
    sendProblem(response, 400, "Invalid feedback", "the body is not JSON");
    return;
  }
  const effect = verdictEffects[feedback.verdict];
  const index = hypotheses.findIndex((hypothesis) => hypothesis.id === feedback.hypothesis_id);
  if (!effect || index < 0) {
    sendProblem(response, 422, "Invalid feedback", "unknown hypothesis or verdict");
    return;
  }
  hypotheses[index] = effect(hypotheses[index]);
  hypotheses.sort((left, right) => right.confidence - left.confidence);
  await sleep(Math.min(delayMs, 300));
  sendJson(response, 200, { hypotheses });
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url, "http://dev");
    if (request.method === "GET" && staticFiles[url.pathname]) {
      const [name, type] = staticFiles[url.pathname];
      const content = await readFile(path.join(webDir, name));
      response.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
      response.end(content);
      return;
    }
    if (request.method === "POST" && url.pathname === "/api/v1/troubleshoot") {
      await handleTroubleshoot(request, response);
      return;
    }
    const feedback = /^\/api\/v1\/sessions\/([^/]+)\/feedback$/.exec(url.pathname);
    if (request.method === "POST" && feedback) {
      await handleFeedback(request, response, decodeURIComponent(feedback[1]));
      return;
    }
    sendProblem(response, 404, "Not found", `${request.method} ${url.pathname}`);
  } catch (error) {
    console.error(error);
    if (!response.headersSent) sendProblem(response, 500, "Internal error", "the dev server failed; see its console");
    else response.end();
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`FaultMaven dev server (canned analysis) on http://127.0.0.1:${server.address().port}/`);
});
