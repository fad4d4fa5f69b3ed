// FaultMaven web UI: HTML escaping and the small, safe markdown renderer for the answer.

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text) {
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
export function renderMarkdown(markdown) {
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
