// FaultMaven web UI: the chosen incident and baseline files, their lists and the drop zones.
// Safety rule (see app.js): server strings reach the page through textContent or setAttribute.

import { byId, element, formatBytes } from "./dom.js";
import { state } from "./state.js";

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

export function renderFileLists() {
  renderFileList("incidentFiles", byId("incident-list"), "");
  renderFileList("baselineFiles", byId("baseline-list"), " from baseline");
}

export function wireDropZone(zoneId, inputId, listName) {
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
export function preventStrayDrops() {
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
}
