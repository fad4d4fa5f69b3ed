// FaultMaven web UI: the JSON calls to the server and the errors shown for them (RFC 9457
// problem bodies when the server sent one).

export const TROUBLESHOOT_URL = "api/v1/troubleshoot";
const feedbackUrl = (sessionId) => `api/v1/sessions/${encodeURIComponent(sessionId)}/feedback`;
export const answersUrl = (sessionId) => `api/v1/sessions/${encodeURIComponent(sessionId)}/answers`;

/** An error to show the user: a title and an optional detail. */
export class DisplayedError extends Error {
  constructor(title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.title = title;
    this.detail = detail || "";
  }
}

/** Reads an error response: RFC 9457 problem JSON when the server sent it, else the status. */
export async function errorFromResponse(response) {
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

export async function postFeedback(sessionId, body) {
  return postJson(feedbackUrl(sessionId), body, "Your feedback was not saved.");
}

/** POSTs JSON and reads the JSON answer; failures become a DisplayedError. */
export async function postJson(url, body, notSaved) {
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
