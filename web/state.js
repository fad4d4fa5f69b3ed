// FaultMaven web UI: the page's state, shared by the modules that read and change it.

export const state = {
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

export const attachmentNames = new Map();
