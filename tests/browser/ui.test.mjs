// Browser test of the FaultMaven web UI, driven by Debian's chromium through playwright-core.
//
//   FAULTMAVEN_URL=http://127.0.0.1:8080 npm test        (from tests/browser, after scripts/install-browser)
//
// The first two tests run the whole product: the page served by the real server, a real upload, the
// real analysis and the embedded LLM. The others load the page from the same server but answer the
// API from fixtures (page.route), so that rendering, escaping and error display are checked on
// exact, known input.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const artifactsDir = path.join(here, "artifacts");
const checkoutLogPath = path.join(repoRoot, "testdata", "browser", "checkout.log");
const cannedResponsePath = path.join(repoRoot, "testdata", "browser", "checkout-response.json");
const chromiumPath = "/usr/bin/chromium";

// The embedded LLM writes the answer on a 2-core machine: allow for a slow first call, and for
// a machine that is busy with other work (an answer took over 120 s at load average 12, and
// over 300 s at load average 20). These guard against a hang; speed is `./scripts/bench llm`.
const ANALYSIS_TIMEOUT_MS = 600_000;
const REAL_SERVER_TEST_TIMEOUT_MS = 1_800_000;
const FIXTURE_TEST_TIMEOUT_MS = 60_000;

const XSS_PAYLOAD = "<img src=x onerror=window.__xss=1>";
/** The SVG elements plots.js draws with; anything else inside a plot was injected. */
const PLOT_ELEMENTS = ["title", "desc", "g", "line", "path", "rect", "circle", "text"];
const plotsMetricsPath = path.join(repoRoot, "testdata", "plots", "checkout-metrics.csv");
const plotsTracesPath = path.join(repoRoot, "testdata", "plots", "checkout-traces.otlp.json");

function serverUrl() {
  const value = process.env.FAULTMAVEN_URL;
  if (!value) {
    throw new Error(
      "FAULTMAVEN_URL is not set: start the FaultMaven server and run the test with " +
        "FAULTMAVEN_URL=http://127.0.0.1:<port> (for example FAULTMAVEN_URL=http://127.0.0.1:8080 npm test)",
    );
  }
  return value.endsWith("/") ? value : `${value}/`;
}

let browser;

before(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: run scripts/install-browser first`);
  }
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(artifactsDir, { recursive: true });
});

after(async () => {
  if (browser) await browser.close();
});

/**
 * A fresh page at the server's URL. Uncaught page errors and dialogs (alert() is what a working
 * XSS payload would typically open) are collected so each test can assert there were none.
 */
async function openPage({ width = 1280, height = 900 } = {}) {
  const url = serverUrl();
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems = { pageErrors: [], dialogs: [], consoleErrors: [] };
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") problems.consoleErrors.push(message.text());
  });
  page.on("dialog", async (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  const response = await page.goto(url, { waitUntil: "load" });
  assert.ok(response && response.ok(), `GET ${url} answered ${response ? response.status() : "nothing"}`);
  await page.waitForSelector("#troubleshoot-form");
  return { page, context, problems };
}

function assertNoPageProblems(problems) {
  assert.deepEqual(problems.pageErrors, [], "uncaught errors in the page");
  assert.deepEqual(problems.dialogs, [], "the page opened dialogs");
}

/** Records whether the Analyze button ever entered its busy state, however briefly. */
async function watchBusyState(page) {
  await page.evaluate(() => {
    window.__sawBusy = false;
    const button = document.getElementById("analyze");
    new MutationObserver(() => {
      if (button.getAttribute("aria-busy") === "true" && button.disabled) window.__sawBusy = true;
    }).observe(button, { attributes: true, childList: true, subtree: true });
  });
}

/**
 * Waits until a response is rendered or an error is shown; an error fails the test with its text,
 * so a server problem reads as such instead of as a timeout. Then `resultSelector` must match.
 */
async function waitForAnalysis(page, resultSelector = "#hypotheses .hypothesis") {
  await page.waitForFunction(
    () => !document.getElementById("results").hidden || !document.getElementById("form-error").hidden,
    undefined,
    { timeout: ANALYSIS_TIMEOUT_MS, polling: 250 },
  );
  const errorBox = page.locator("#form-error");
  if (await errorBox.isVisible()) {
    assert.fail(`the page showed an error instead of the analysis: ${await errorBox.innerText()}`);
  }
  assert.ok(
    await page.locator(resultSelector).count() > 0,
    `the analysis shows nothing matching ${resultSelector}; results read:\n${await page.locator("#results").innerText()}`,
  );
}

/**
 * The `done` event's JSON from a troubleshoot response streamed as server-sent events, checking
 * the stage events came first and in order.
 */
async function streamedResponseBody(response) {
  assert.match(response.headers()["content-type"] || "", /^text\/event-stream/);
  const events = (await response.text())
    .split(/\r?\n\r?\n/)
    .map((block) => {
      let name = null;
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      return name === null ? null : { name, data: JSON.parse(data.join("\n")) };
    })
    .filter((event) => event !== null);
  const names = events.map((event) => event.name).filter((name) => name !== "answer_delta");
  assert.deepEqual(names, ["parsed", "analysed", "retrieved", "answering", "done"], "stage events in order");
  return events[events.length - 1].data;
}

/** Records the stages the progress list marked done and whether the answer preview showed text. */
async function watchStreamProgress(page) {
  await page.evaluate(() => {
    window.__stagesDone = [];
    window.__previewText = "";
    const panel = document.getElementById("stream-progress");
    new MutationObserver(() => {
      for (const item of panel.querySelectorAll(".stage-done")) {
        const name = item.getAttribute("data-stage");
        if (!window.__stagesDone.includes(name)) window.__stagesDone.push(name);
      }
      const preview = document.getElementById("stream-answer").textContent;
      if (preview.length > window.__previewText.length) window.__previewText = preview;
    }).observe(panel, { attributes: true, childList: true, subtree: true, characterData: true });
  });
}

async function hypothesisOrder(page) {
  return page.locator("#hypotheses .hypothesis").evaluateAll((cards) =>
    cards.map((card) => card.getAttribute("data-hypothesis-id")));
}

function readCannedResponse() {
  return JSON.parse(readFileSync(cannedResponsePath, "utf8"));
}

/** `body` with one open follow-up question separating its first two hypotheses. */
function withQuestion(body) {
  const [first, second] = body.hypotheses;
  body.follow_up_questions = [{
    id: "Q1",
    text: "Was the database down or unreachable at 14:02 UTC?",
    topic: "dependency_down",
    entity: "orders-db",
    supports_if_yes: [second.id],
    weakens_if_yes: [first.id],
    finding_ids: [],
    reason: `${first.id} and ${second.id} are close`,
    answer: null,
    answer_comment: null,
  }];
  return body;
}

/** A server-sent event as the server writes it. */
function sseEvent(name, data) {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Answers the troubleshoot call with `body` (and records each request's multipart body). */
async function routeTroubleshoot(page, respond) {
  const requests = [];
  await page.route("**/api/v1/troubleshoot", async (route) => {
    requests.push(route.request().postDataBuffer()?.toString("utf8") ?? "");
    const { status = 200, contentType = "application/json", body } = respond(requests.length);
    await route.fulfill({ status, contentType, body: JSON.stringify(body) });
  });
  return requests;
}

/** The value of a text field in a multipart body, or null. */
function multipartField(body, name) {
  const match = new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)\\r\\n`).exec(body);
  return match ? match[1] : null;
}

describe("with the real server", () => {
  test("analyzes an uploaded log, re-ranks on feedback and continues the session", { timeout: REAL_SERVER_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      await page.getByRole("textbox", { name: "Question" }).fill("Why does checkout return 503 errors since 14:03?");
      await page.locator("#incident-files").setInputFiles(checkoutLogPath);
      await assert.doesNotReject(
        page.locator("#incident-list .file-name", { hasText: "checkout.log" }).waitFor(),
        "the chosen file is listed",
      );

      await watchBusyState(page);
      await watchStreamProgress(page);
      const troubleshootResponse = page.waitForResponse(
        (response) => response.url().endsWith("/api/v1/troubleshoot"),
        { timeout: ANALYSIS_TIMEOUT_MS },
      );
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page);
      const firstResponse = await troubleshootResponse;
      assert.match(firstResponse.request().headers()["accept"] || "", /text\/event-stream/);
      const firstBody = await streamedResponseBody(firstResponse);
      // Progress showed each stage as it completed, and the answer as the model wrote it.
      assert.deepEqual(
        await page.evaluate(() => window.__stagesDone),
        ["parsed", "analysed", "retrieved"],
        "the stages were marked done as their events arrived",
      );
      assert.ok(
        (await page.evaluate(() => window.__previewText)).trim().length > 0,
        "the answer streamed into the preview",
      );
      assert.equal(await page.locator("#stream-progress").isHidden(), true, "progress is hidden once done");
      assert.equal(await page.evaluate(() => window.__sawBusy), true, "Analyze showed a busy state");
      assert.equal(await page.locator("#analyze").isDisabled(), false, "Analyze is enabled again");
      assert.match(await page.locator("#busy-status").innerText(), /Done in [\d.]+ s/);

      // The request as understood, and the upload as the server read it.
      assert.match(await page.locator("#summary-chips").innerText(), /Question \+ data/);
      const attachmentRow = page.locator("#attachments tbody tr", { hasText: "checkout.log" });
      assert.equal(await attachmentRow.count(), 1, "checkout.log is in the attachments table");

      // Findings cite the log with line numbers and show the excerpt in monospace.
      const evidencePlaces = await page.locator("#findings .evidence-log .evidence-where").allInnerTexts();
      assert.ok(
        evidencePlaces.some((text) => /^a\d+ lines? \d+/.test(text.trim())),
        `a finding cites lines of an attachment; evidence shown: ${JSON.stringify(evidencePlaces)}`,
      );
      const findingsText = await page.locator("#findings").innerText();
      assert.match(findingsText, /ConnectException|Connection refused/, "the connection errors are among the findings");
      const sparkBars = await page.locator("#templates tbody svg.sparkline rect.spark-bar").count();
      assert.ok(sparkBars > 0, "each template row plots its lines over time");
      assert.ok(await page.locator("#findings .evidence-log pre.excerpt code").count() > 0, "excerpts are shown");
      const excerptFont = await page.locator("#findings pre.excerpt code").first()
        .evaluate((node) => getComputedStyle(node).fontFamily);
      assert.match(excerptFont, /mono/i, "excerpts use a monospace font");

      // Hypothesis cards: rank, confidence bar, feedback buttons.
      const cards = page.locator("#hypotheses .hypothesis");
      const cardCount = await cards.count();
      assert.ok(cardCount >= 1);
      assert.equal(cardCount, firstBody.hypotheses.length, "one card per hypothesis");
      const meterValue = Number(await cards.first().locator("[role=meter]").getAttribute("aria-valuenow"));
      assert.equal(meterValue, Math.round(firstBody.hypotheses[0].confidence * 100));
      assert.ok((await page.locator("#answer").innerText()).trim().length > 0, "the answer is shown");
      assertNoPageProblems(problems);
      await page.screenshot({ path: path.join(artifactsDir, "analysis.png"), fullPage: true });

      // Rule out the top hypothesis: the list is re-rendered in the server's new order at once.
      const orderBefore = await hypothesisOrder(page);
      const topId = orderBefore[0];
      const feedbackResponse = page.waitForResponse((response) => response.url().includes("/feedback"));
      await cards.first().getByRole("button", { name: "Ruled out" }).click();
      const feedback = await feedbackResponse;
      assert.equal(feedback.status(), 200, `feedback answered ${feedback.status()}`);
      const reranked = (await feedback.json()).hypotheses.map((hypothesis) => hypothesis.id);
      await page.locator("#feedback-status", { hasText: "ruled out" }).waitFor();
      const orderAfter = await hypothesisOrder(page);
      assert.deepEqual(orderAfter, reranked, "cards follow the re-ranked order");
      const ruledOutCard = page.locator(`#hypotheses .hypothesis[data-hypothesis-id="${topId}"]`);
      assert.equal((await ruledOutCard.locator(".status-badge").innerText()).toLowerCase(), "ruled out");
      if (orderBefore.length > 1) {
        assert.notEqual(orderAfter[0], topId, "the ruled-out hypothesis is no longer first");
      }
      await page.screenshot({ path: path.join(artifactsDir, "after-feedback.png"), fullPage: true });

      // A follow-up question (Ctrl+Enter) goes to the same session.
      const followUpRequest = page.waitForRequest((request) => request.url().endsWith("/api/v1/troubleshoot"));
      const followUpResponse = page.waitForResponse(
        (response) => response.url().endsWith("/api/v1/troubleshoot"),
        { timeout: ANALYSIS_TIMEOUT_MS },
      );
      await page.getByRole("textbox", { name: "Question" }).fill("What should I check first on the database side?");
      await page.getByRole("textbox", { name: "Question" }).press("Control+Enter");
      const sentBody = (await followUpRequest).postDataBuffer().toString("utf8");
      assert.equal(multipartField(sentBody, "session_id"), firstBody.session_id, "the follow-up sends the session id");
      const secondBody = await streamedResponseBody(await followUpResponse);
      assert.equal(secondBody.session_id, firstBody.session_id, "the server kept the session");
      await page.locator("#history-list li").first().waitFor({ state: "attached" });
      assert.match(await page.locator("#history").innerText(), /Earlier in this session \(1\)/);
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("hostile upload text is shown as text, never run", { timeout: REAL_SERVER_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      const lines = [];
      for (let second = 10; second < 40; second += 1) {
        lines.push(`2024-05-01T14:02:${second}.000Z INFO  [main] c.e.web.Api : GET /health status=200 duration=3ms`);
      }
      for (let second = 40; second < 52; second += 1) {
        lines.push(`2024-05-01T14:02:${second}.000Z ERROR [main] c.e.web.Api : render failed for ${XSS_PAYLOAD} user=${second}`);
      }
      const hostileName = `${XSS_PAYLOAD}.log`;
      await page.getByRole("textbox", { name: "Question" }).fill(`Why does rendering fail? ${XSS_PAYLOAD}`);
      await page.locator("#incident-files").setInputFiles({
        name: hostileName,
        mimeType: "text/plain",
        buffer: Buffer.from(`${lines.join("\n")}\n`),
      });
      assert.equal(await page.locator("#incident-list .file-name").innerText(), hostileName);
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page, "#findings .finding, #hypotheses .hypothesis");

      assert.equal(await page.evaluate(() => window.__xss), undefined, "no payload ran");
      // The template sparklines and the plots are the page's own SVG, made of known elements.
      assert.equal(await page.locator("img, svg:not(.sparkline):not(.plot-svg), iframe, object, embed").count(), 0, "no element was injected");
      assert.equal(await page.locator("svg.sparkline *:not(title):not(rect)").count(), 0, "sparklines hold only bars and a title");
      assert.equal(await page.locator(`svg.plot-svg *:not(${PLOT_ELEMENTS.join("):not(")})`).count(), 0, "plots hold only drawing elements");
      assert.equal(await page.locator("script").count(), 3, "only plots.js, questions.js and app.js are scripts");
      const nameCells = await page.locator("#attachments .attachment-name").allInnerTexts();
      assert.ok(nameCells.includes(hostileName), `the file name is shown as text: ${JSON.stringify(nameCells)}`);
      const findingsText = await page.locator("#findings").innerText();
      assert.ok(findingsText.includes(XSS_PAYLOAD), "the hostile log line is shown as text in a finding");
      assertNoPageProblems(problems);
      await page.screenshot({ path: path.join(artifactsDir, "hostile-upload.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });
});

describe("with fixture responses (page from the real server)", () => {
  test("every server string is rendered as text", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      const hostile = '<img src=x onerror=window.__xss=1>"><svg onload=window.__xss=2><script>window.__xss=3</script>';
      // Every string in the response carries the payload, except the evidence type (which picks
      // how evidence is drawn) and the hypothesis/finding ids (kept distinct so links still work).
      const poison = (value, key) => {
        if (typeof value === "string") {
          if (key === "type") return value;
          if (key === "id" || key === "finding_ids") return `${value}${hostile}`;
          return `${hostile}${value}`;
        }
        if (Array.isArray(value)) return value.map((item) => poison(item, key));
        if (value && typeof value === "object") {
          return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, poison(inner, name)]));
        }
        return value;
      };
      const body = poison(withQuestion(readCannedResponse()), "");
      body.answer = `# Title ${hostile}\n\n**bold ${hostile}** and \`${hostile}\`\n\n\`\`\`\n${hostile}\n\`\`\`\n\n- item ${hostile}\n`;
      await routeTroubleshoot(page, () => ({ body }));
      await page.route("**/feedback", (route) =>
        route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ hypotheses: body.hypotheses.slice().reverse() }) }));

      await page.getByRole("textbox", { name: "Question" }).fill("anything");
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page);

      assert.equal(await page.locator("#hypotheses .hypothesis").count(), body.hypotheses.length);
      assert.equal(await page.locator("#findings .finding").count(), body.findings.length);
      await page.locator("#attachments button[aria-controls]").first().click();
      await page.locator("#hypotheses .finding-link").first().click();
      await page.locator("#hypotheses .hypothesis").first().getByRole("button", { name: "Helpful", exact: true }).click();
      await page.locator("#feedback-status", { hasText: "marked helpful" }).waitFor();

      assert.equal(await page.evaluate(() => window.__xss), undefined, "no payload ran");
      // The template sparklines and the plots are the page's own SVG, made of known elements.
      assert.equal(await page.locator("img, svg:not(.sparkline):not(.plot-svg), iframe, object, embed").count(), 0, "no element was injected");
      assert.equal(await page.locator("svg.sparkline *:not(title):not(rect)").count(), 0, "sparklines hold only bars and a title");
      assert.equal(await page.locator(`svg.plot-svg *:not(${PLOT_ELEMENTS.join("):not(")})`).count(), 0, "plots hold only drawing elements");
      assert.equal(await page.locator("script").count(), 3, "only plots.js, questions.js and app.js are scripts");
      const resultsText = await page.locator("#results").innerText();
      assert.ok(resultsText.includes("<img src=x onerror=window.__xss=1>"), "the payload is visible as text");
      assert.ok(resultsText.includes("<script>window.__xss=3</script>"), "the payload is visible as text");
      assert.ok((await page.locator("#answer strong").innerText()).includes(hostile), "markdown bold keeps the payload as text");
      assert.ok((await page.locator("#answer pre code").innerText()).includes(hostile), "code blocks keep the payload as text");
      assert.ok((await page.locator("#questions").innerText()).includes(hostile), "question text stays text");
      assert.ok((await page.locator("#notices").innerText()).includes(hostile), "notice text stays text");
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("renders the analysis: chips, cards, evidence, links, commands, markdown", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(serverUrl()).origin });
      const body = readCannedResponse();
      await routeTroubleshoot(page, () => ({ body }));
      await page.getByRole("textbox", { name: "Question" }).fill("Why does checkout return 503?");
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page);

      // Each template row plots its histogram: one bar per non-empty bucket, none without one.
      const templateRows = page.locator("#templates tbody tr");
      assert.equal(await templateRows.nth(0).locator("svg.sparkline rect.spark-bar").count(), 2);
      assert.equal(await templateRows.nth(1).locator("svg.sparkline rect.spark-bar").count(), 13);
      assert.equal(await templateRows.nth(2).locator("svg.sparkline").count(), 0);
      assert.match(
        await templateRows.nth(0).locator("svg.sparkline title").textContent(),
        /^13 lines in 29 buckets of 5 s/,
      );

      const chips = await page.locator("#summary-chips").innerText();
      assert.match(chips, /Question \+ data/);
      assert.match(chips, /Diagnose error/);

      // What limited the analysis is said above the results, title first.
      assert.equal(await page.locator("#notices-section").isVisible(), true);
      assert.match(await page.locator("#notices .notice-title").innerText(), /^12 of 1,204 log lines were not mined/);

      // Evidence is written as "a1 lines 38–42" with the excerpt underneath.
      const firstFinding = page.locator("#finding-F1");
      assert.deepEqual(
        (await firstFinding.locator(".evidence-where").allInnerTexts()).map((text) => text.trim()),
        ["a1 lines 38–42 · checkout.log", "a1 lines 72–76 · checkout.log"],
      );
      assert.equal(await firstFinding.locator(".severity-badge").innerText(), "CRITICAL");
      assert.match(await firstFinding.locator("pre.excerpt").first().innerText(), /Connection refused \(Connection refused\) to postgres:5432/);

      // Cards in server order with confidence, suspects and commands.
      assert.deepEqual(await hypothesisOrder(page), ["H1", "H2", "H3"]);
      const top = page.locator('#hypotheses .hypothesis[data-hypothesis-id="H1"]');
      assert.equal(await top.locator("[role=meter]").getAttribute("aria-valuenow"), "78");
      assert.match(await top.locator(".suspects").innerText(), /postgres:5432/);
      assert.equal(await top.locator(".command code").count(), 3);

      // A command copies to the clipboard.
      await top.locator(".copy-button").first().click();
      await top.locator(".copy-button", { hasText: "Copied" }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "kubectl get pods -l app=postgres -o wide");

      // A finding id link scrolls to the finding and highlights it.
      await page.locator('#hypotheses .hypothesis[data-hypothesis-id="H2"] .finding-link', { hasText: "F3" }).click();
      await page.waitForFunction(() => document.activeElement && document.activeElement.id === "finding-F3");
      assert.match(await page.locator("#finding-F3").getAttribute("class"), /highlight/);

      // Attachment issues expand.
      const issuesToggle = page.locator("#attachments button[aria-controls]");
      assert.equal(await issuesToggle.getAttribute("aria-expanded"), "false");
      await issuesToggle.click();
      assert.equal(await issuesToggle.getAttribute("aria-expanded"), "true");
      assert.match(await page.locator("#attachments .issues-row").innerText(), /line 39/);

      // The markdown answer: headings, lists, bold, italics, inline code, code blocks.
      const answer = page.locator("#answer");
      assert.equal(await answer.locator("h4").innerText(), "Most likely cause");
      assert.equal(await answer.locator("h5").innerText(), "What to check first");
      assert.equal(await answer.locator("ol > li").count(), 3);
      assert.equal(await answer.locator("ul > li").count(), 2);
      assert.equal(await answer.locator("strong").innerText(), "cannot connect to PostgreSQL");
      assert.equal(await answer.locator("em").innerText(), "consequence");
      assert.match(await answer.locator("pre code").innerText(), /^kubectl get pods -l app=postgres -o wide\nkubectl exec/);
      assert.equal(await answer.locator("p code").first().innerText(), "postgres:5432");
      assert.equal(await page.locator("#answer-provenance").innerText(), "Written by embedded in 11.4 s");
      assertNoPageProblems(problems);
      await page.screenshot({ path: path.join(artifactsDir, "fixture-analysis.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test("the markdown renderer escapes first and keeps to its subset", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      const cases = [
        ["plain & <b>bold</b>", "<p>plain &amp; &lt;b&gt;bold&lt;/b&gt;</p>"],
        ["# Title", "<h3>Title</h3>"],
        ["### Deep ###", "<h5>Deep</h5>"],
        ["**strong** and *em* and `co*de*`", "<p><strong>strong</strong> and <em>em</em> and <code>co*de*</code></p>"],
        ["snake_case_name, a__b__c and __init__", "<p>snake_case_name, a__b__c and <strong>init</strong></p>"],
        ["- one\n- two\n  continued", "<ul><li>one</li><li>two continued</li></ul>"],
        ["1. first\n2) second", "<ol><li>first</li><li>second</li></ol>"],
        ["```sh\n<script>alert(1)</script>\n**x**\n```", "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n**x**</code></pre>"],
        ["    indented <code>\n    block", "<pre><code>indented &lt;code&gt;\nblock</code></pre>"],
        ["> quoted <i>", "<blockquote><p>quoted &lt;i&gt;</p></blockquote>"],
        ["line one\nline two", "<p>line one<br>line two</p>"],
        ["---", "<hr>"],
        ["`\uE0000\uE001`", "<p><code>0</code></p>"],
        ["[link](javascript:alert(1))", "<p>[link](javascript:alert(1))</p>"],
        ["\"quotes\" 'single'", "<p>&quot;quotes&quot; &#39;single&#39;</p>"],
        ["", ""],
      ];
      const rendered = await page.evaluate(
        (inputs) => inputs.map((input) => window.FaultMaven.renderMarkdown(input)),
        cases.map(([input]) => input),
      );
      cases.forEach(([input, expected], index) => {
        assert.equal(rendered[index], expected, `renderMarkdown(${JSON.stringify(input)})`);
      });
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("problem+json errors show their title and detail; files can be removed", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      const requests = await routeTroubleshoot(page, () => ({
        status: 413,
        contentType: "application/problem+json",
        body: {
          type: "https://faultmaven.dev/problems/payload-too-large",
          title: "Upload too large",
          status: 413,
          detail: "the upload is 612 MiB; the limit is 256 MiB",
        },
      }));
      await page.locator("#incident-files").setInputFiles([
        { name: "checkout.log", mimeType: "text/plain", buffer: readFileSync(checkoutLogPath) },
        { name: "other.log", mimeType: "text/plain", buffer: Buffer.from("hello\n") },
      ]);
      await page.locator("#baseline-files").setInputFiles({ name: "before.log", mimeType: "text/plain", buffer: Buffer.from("ok\n") });
      assert.equal(await page.locator("#incident-list li").count(), 2);
      await page.getByRole("button", { name: "Remove other.log" }).click();
      assert.deepEqual(await page.locator("#incident-list .file-name").allInnerTexts(), ["checkout.log"]);

      await page.getByRole("button", { name: "Analyze" }).click();
      const errorBox = page.locator("#form-error");
      await errorBox.waitFor({ state: "visible" });
      assert.match(await errorBox.innerText(), /Upload too large[\s\S]*the upload is 612 MiB; the limit is 256 MiB/);
      assert.equal(await page.locator("#analyze").isDisabled(), false, "the busy state ends on error");
      assert.equal(await page.locator("#results").isVisible(), false);

      // The request carried the incident file as `file` and the baseline as `baseline`, no session yet.
      assert.equal(requests.length, 1);
      assert.match(requests[0], /name="file"; filename="checkout.log"/);
      assert.match(requests[0], /name="baseline"; filename="before.log"/);
      assert.doesNotMatch(requests[0], /other\.log/);
      assert.equal(multipartField(requests[0], "session_id"), null);
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("a running analysis shows elapsed seconds and can be cancelled", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      // Never answered: the page must stay usable and let the user give up.
      await page.route("**/api/v1/troubleshoot", () => {});
      await page.getByRole("textbox", { name: "Question" }).fill("Why is checkout slow?");
      await page.getByRole("button", { name: "Analyze" }).click();
      const analyze = page.locator("#analyze");
      assert.equal(await analyze.isDisabled(), true, "Analyze is disabled while busy");
      await page.locator("#analyze .elapsed", { hasText: /^[1-9]\d* s$/ }).waitFor({ timeout: 5_000 });
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.locator("#busy-status", { hasText: "Cancelled." }).waitFor();
      assert.equal(await analyze.isDisabled(), false);
      assert.equal(await page.locator("#cancel").isVisible(), false);
      assert.equal(await page.locator("#form-error").isVisible(), false, "cancelling is not an error");
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("follow-up questions: an answer re-ranks at once and the question shows its answer", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      const body = withQuestion(readCannedResponse());
      await routeTroubleshoot(page, () => ({ body }));
      const answers = [];
      await page.route("**/answers", (route) => {
        answers.push(JSON.parse(route.request().postData() || "{}"));
        const reranked = [body.hypotheses[1], body.hypotheses[0], ...body.hypotheses.slice(2)];
        const questions = [{ ...body.follow_up_questions[0], answer: "yes" }];
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ hypotheses: reranked, follow_up_questions: questions }) });
      });
      await page.getByRole("textbox", { name: "Question" }).fill("Why does checkout return 503?");
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page);
      assert.equal(await page.locator("#questions-section").isVisible(), true);
      const firstOrder = await hypothesisOrder(page);
      await page.locator("#questions").getByRole("button", { name: "Yes", exact: true }).click();
      await page.locator("#feedback-status", { hasText: "Q1 answered" }).waitFor();
      assert.deepEqual(answers, [{ question_id: "Q1", answer: "yes" }]);
      const newOrder = await hypothesisOrder(page);
      assert.equal(newOrder[0], firstOrder[1], "the supported hypothesis leads now");
      assert.equal(await page.locator("#questions button").count(), 0, "an answered question has no buttons");
      assert.match(await page.locator("#questions").innerText(), /Answered: yes/);
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("answer_reset discards the streamed text of a model that failed part-way", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      const body = readCannedResponse();
      /** The preview's text after a stream that writes a partial answer, maybe a reset, then the fallback's. */
      const previewAfter = async (events) => {
        const stream = [
          sseEvent("parsed", { attachments: [] }),
          sseEvent("analysed", { findings: 0, templates: 0 }),
          sseEvent("retrieved", { runbooks: [] }),
          sseEvent("answering", { provider: "openai:gpt-4o-mini", hypotheses: 3 }),
          ...events.map(([name, data]) => sseEvent(name, data)),
          sseEvent("done", body),
        ].join("");
        await page.unroute("**/api/v1/troubleshoot");
        await page.route("**/api/v1/troubleshoot", (route) =>
          route.fulfill({ status: 200, contentType: "text/event-stream", body: stream }));
        await page.getByRole("button", { name: "New session" }).click();
        await page.getByRole("textbox", { name: "Question" }).fill("Why does checkout return 503?");
        await page.getByRole("button", { name: "Analyze" }).click();
        await waitForAnalysis(page);
        return page.locator("#stream-answer").textContent();
      };
      const partial = ["answer_delta", { text: "PARTIAL REMOTE TEXT" }];
      const fallback = ["answer_delta", { text: "fallback text" }];
      assert.equal(await previewAfter([partial, fallback]), "PARTIAL REMOTE TEXTfallback text", "without a reset the text adds up");
      const reset = ["answer_reset", { reason: "openai:gpt-4o-mini failed" }];
      assert.equal(await previewAfter([partial, reset, fallback]), "fallback text", "the reset dropped the partial text");
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });

  test("follow-ups reuse the session and New session forgets it; narrow windows do not scroll sideways", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage({ width: 390, height: 844 });
    try {
      const body = readCannedResponse();
      const requests = await routeTroubleshoot(page, () => ({ body }));
      await page.getByRole("textbox", { name: "Question" }).fill("Why does checkout return 503?");
      await page.getByRole("textbox", { name: "Question" }).press("Control+Enter");
      await waitForAnalysis(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px window`);
      await page.screenshot({ path: path.join(artifactsDir, "narrow.png"), fullPage: true });

      await page.getByRole("textbox", { name: "Question" }).fill("And the pool?");
      await page.getByRole("button", { name: "Analyze" }).click();
      await page.locator("#history-list li").first().waitFor({ state: "attached" });
      assert.equal(multipartField(requests[1], "session_id"), body.session_id);

      await page.getByRole("button", { name: "New session" }).click();
      assert.equal(await page.locator("#results").isVisible(), false);
      assert.equal(await page.locator("#session-label").innerText(), "No session yet");
      await page.getByRole("textbox", { name: "Question" }).fill("A new problem");
      await page.getByRole("button", { name: "Analyze" }).click();
      await page.waitForFunction(() => !document.getElementById("results").hidden);
      assert.equal(requests.length, 3);
      assert.equal(multipartField(requests[2], "session_id"), null, "a new session sends no session id");
      assertNoPageProblems(problems);
    } finally {
      await context.close();
    }
  });
});

/**
 * Plot data shaped like the server's (see `crates/server/src/dto/plots.rs`): one series of 500
 * points with an outage, a waterfall of 300 spans and a timeline; `hostile` goes into names.
 */
function syntheticPlots(hostile) {
  const start = Date.parse("2024-05-01T14:00:00Z");
  const iso = (millis) => new Date(millis).toISOString().replace(".000Z", "Z");
  const points = [];
  for (let index = 0; index < 500; index += 1) {
    const outage = index >= 300 && index < 340;
    const banded = index >= 10;
    points.push({
      at: iso(start + index * 10_000),
      value: outage ? 5000 + (index % 7) * 20 : 180 + ((index * 37) % 11),
      lower: banded ? 160 : null,
      upper: banded ? 205 : null,
      anomalous: outage,
    });
  }
  const services = ["frontend", "checkout", `payments${hostile}`, "cart"];
  const spans = [];
  // A chain of five nested spans is the critical path; 295 short leaves hang off the root.
  for (let depth = 0; depth < 5; depth += 1) {
    spans.push({
      span_id: `c${depth}`, parent_span_id: depth === 0 ? null : `c${depth - 1}`, service: services[depth % 3],
      operation: depth === 4 ? `INSERT ${hostile}` : `op ${depth}`, kind: "server", depth, start_ms: depth * 2,
      duration_ms: 3000 - depth * 10, self_ms: 5, is_error: depth === 4, critical: true,
    });
  }
  for (let leaf = 0; leaf < 295; leaf += 1) {
    spans.push({
      span_id: `l${leaf}`, parent_span_id: "c0", service: services[3], operation: "GET /item", kind: "client", depth: 1,
      start_ms: 20 + leaf * 9, duration_ms: 4 + (leaf % 5), self_ms: 4, is_error: leaf === 100, critical: false,
    });
  }
  return {
    series_plots: [{
      finding_id: "F1", finding_ids: ["F1", "F2"], attachment: "a1", series: `latency_p99_ms{pod="${hostile}"}`,
      metric: "latency_p99_ms", unit: "ms", entities: [{ kind: "pod", name: hostile }],
      band_method: "rolling median ± 3.5 robust standard deviations (1.4826 × MAD) of the previous 60 points",
      points, total_points: 2000,
      anomalous_ranges: [{ start: points[300].at, end: points[339].at, finding_id: "F1", kind: "metric_anomaly" }],
    }],
    trace_waterfall: {
      attachment: "a1", trace_id: `4bf9${hostile}`, finding_id: "F2", reason: "the slowest trace cited by F2, the top trace finding",
      start: points[305].at, duration_ms: 3000, spans, total_spans: 1041,
      note: "300 of 1041 spans shown: the critical path, failing spans and the longest others",
    },
    timeline: [
      { at: points[290].at, until: null, signal: "config", entity: { kind: "service", name: "checkout" }, description: "pool size changed", strength: 0.5, finding_id: null, severity: null, finding_kind: null },
      { at: points[300].at, until: points[339].at, signal: "metric", entity: { kind: "pod", name: hostile }, description: `latency spiked ${hostile}`, strength: 0.9, finding_id: "F1", severity: "high", finding_kind: "metric_anomaly" },
      { at: points[302].at, until: points[330].at, signal: "trace", entity: { kind: "service", name: "payments" }, description: "payments Charge slower", strength: 0.8, finding_id: "F2", severity: "medium", finding_kind: "trace_anomaly" },
      { at: points[303].at, until: null, signal: "log", entity: null, description: "ERROR burst", strength: 0.6, finding_id: "F3", severity: "critical", finding_kind: "log_burst" },
    ],
  };
}

/** Counts of what the plots drew, read from the page. */
async function drawnPlots(page) {
  return page.evaluate(() => {
    const count = (selector) => document.querySelectorAll(selector).length;
    const widest = Math.max(0, ...[...document.querySelectorAll("svg.plot-svg")].map((svg) => svg.getBoundingClientRect().right));
    return {
      visible: !document.getElementById("plots-section").hidden,
      series: count("#series-plots svg.series-plot"),
      bands: [...document.querySelectorAll("#series-plots path.plot-band")].filter((band) => (band.getAttribute("d") || "").includes("Z")).length,
      lines: count("#series-plots path.plot-line"),
      ranges: count("#series-plots rect.plot-range"),
      anomalies: count("#series-plots circle.plot-anomaly"),
      bars: count("#trace-waterfall rect.wf-bar"),
      critical: count("#trace-waterfall rect.wf-critical"),
      failing: count("#trace-waterfall rect.wf-error"),
      events: count("#timeline-plot g.tl-event"),
      described: [...document.querySelectorAll("svg.plot-svg")].every((svg) =>
        svg.getAttribute("role") === "img" && svg.querySelector(":scope > title") && svg.querySelector(":scope > desc")),
      widest,
    };
  });
}

describe("plots", () => {
  test("an outage with traces is drawn: series with a band, the slow trace's waterfall, the timeline", { timeout: REAL_SERVER_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage();
    try {
      await page.getByRole("textbox", { name: "Question" }).fill("Why did checkout fail at 14:40?");
      await page.locator("#incident-files").setInputFiles([plotsMetricsPath, plotsTracesPath]);
      const troubleshootResponse = page.waitForResponse(
        (response) => response.url().endsWith("/api/v1/troubleshoot"),
        { timeout: ANALYSIS_TIMEOUT_MS },
      );
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page, "#plots-section svg.series-plot");
      const body = await streamedResponseBody(await troubleshootResponse);
      assert.ok(body.series_plots.length > 0 && body.trace_waterfall, "the server sent plot data");

      const drawn = await drawnPlots(page);
      const anomalousPoints = body.series_plots.reduce((sum, plot) => sum + plot.points.filter((p) => p.anomalous).length, 0);
      const ranges = body.series_plots.reduce((sum, plot) => sum + plot.anomalous_ranges.length, 0);
      assert.equal(drawn.visible, true);
      assert.equal(drawn.series, body.series_plots.length, "one chart per series plot");
      assert.equal(drawn.bands, body.series_plots.length, "each chart shades its expected band");
      assert.equal(drawn.lines, body.series_plots.length);
      assert.equal(drawn.ranges, ranges, "anomalous ranges are highlighted");
      assert.equal(drawn.anomalies, anomalousPoints, "anomalous points are marked");
      assert.equal(drawn.bars, body.trace_waterfall.spans.length, "one bar per span");
      assert.equal(drawn.critical, body.trace_waterfall.spans.filter((s) => s.critical).length);
      assert.equal(drawn.failing, body.trace_waterfall.spans.filter((s) => s.is_error).length);
      assert.equal(drawn.events, body.timeline.length, "one mark per timeline event");
      assert.equal(drawn.described, true, "every plot is an image with a title and a description");
      const barTitles = await page.locator("#trace-waterfall g.wf-row > title").allTextContents();
      assert.ok(barTitles[0].includes(body.trace_waterfall.spans[0].span_id), "a bar's title names its span id");
      const timeLabels = await page.locator("#series-plots svg.series-plot").first().locator("text.plot-tick").allTextContents();
      assert.ok(timeLabels.some((label) => /^\d\d:\d\d$/.test(label)), `the time axis is labelled: ${JSON.stringify(timeLabels)}`);

      // A timeline event leads to its finding.
      const withFinding = body.timeline.findIndex((event) => event.finding_id);
      const event = page.locator("#timeline-plot g.tl-event").nth(withFinding);
      await event.focus();
      await event.press("Enter");
      await page.locator(`#finding-${body.timeline[withFinding].finding_id}.highlight`).waitFor();

      await page.screenshot({ path: path.join(artifactsDir, "plots.png"), fullPage: true });
      assertNoPageProblems(problems);
      assert.deepEqual(problems.consoleErrors, [], "no console errors");
    } finally {
      await context.close();
    }
  });

  test("plot names stay text, a capped waterfall says so, and a narrow window fits", { timeout: FIXTURE_TEST_TIMEOUT_MS }, async () => {
    const { page, context, problems } = await openPage({ width: 390, height: 844 });
    try {
      const hostile = '<img src=x onerror=window.__xss=1>"><svg onload=window.__xss=2>';
      const body = { ...readCannedResponse(), ...syntheticPlots(hostile) };
      await routeTroubleshoot(page, () => ({ body }));
      await page.getByRole("textbox", { name: "Question" }).fill("Why does checkout fail?");
      await page.getByRole("button", { name: "Analyze" }).click();
      await waitForAnalysis(page, "#plots-section svg.waterfall-plot");

      const drawn = await drawnPlots(page);
      assert.deepEqual(
        [drawn.series, drawn.bands, drawn.ranges, drawn.anomalies, drawn.bars, drawn.critical, drawn.failing, drawn.events],
        [1, 1, 1, 40, 300, 5, 2, 4],
      );
      assert.ok(drawn.widest <= 390, `a plot reaches ${drawn.widest}px in a 390px window`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px window`);
      const plotsText = await page.locator("#plots-section").innerText();
      assert.ok(plotsText.includes("300 of 1041 spans shown"), "the cap is explained");
      assert.ok(plotsText.includes(`latency_p99_ms{pod="${hostile}"}`), "the series name is shown as text");
      const titles = (await page.locator("#plots-section svg title").allTextContents()).join("\n");
      assert.ok(titles.includes(`payments${hostile}`) && titles.includes(`latency spiked ${hostile}`), "hover titles keep names as text");
      assert.equal(await page.evaluate(() => window.__xss), undefined, "no payload ran");
      assert.equal(await page.locator(`svg.plot-svg *:not(${PLOT_ELEMENTS.join("):not(")})`).count(), 0, "plots hold only drawing elements");

      // The series' finding buttons lead to the findings.
      await page.locator("#series-plots button.plot-finding", { hasText: "F2" }).click();
      await page.locator("#finding-F2.highlight").waitFor();
      await page.screenshot({ path: path.join(artifactsDir, "plots-narrow.png"), fullPage: true });
      assertNoPageProblems(problems);
      assert.deepEqual(problems.consoleErrors, [], "no console errors");
    } finally {
      await context.close();
    }
  });
});
