//! The HTTP side shared by every remote provider: timeouts (connect, overall, idle between
//! chunks), retries with exponential backoff and jitter on 429/5xx/connect errors honouring
//! `Retry-After`, bounded body reads, and cancellation when the token receiver goes away.

use super::RemoteOptions;
use crate::{FinishReason, Generation, LlmError};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;
use tokio::time::Instant;

/// The longest wait a `Retry-After` header may impose; a server asking for more is treated as
/// down, so the caller can fall back instead of hanging.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Error bodies are read only this far: enough to diagnose, bounded against a hostile server.
const ERROR_BODY_BYTES: usize = 2048;

/// A configured HTTP client for one provider.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    provider: String,
    options: RemoteOptions,
}

/// What stopped a body read early.
pub(crate) enum ReadOutcome {
    /// Bytes arrived.
    Chunk(Vec<u8>),
    /// The body ended.
    End,
    /// The token receiver was dropped: the caller no longer wants the answer.
    Cancelled,
}

/// When a provider call started and when its response headers arrived, for the timings of
/// the [`Generation`] it produces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallClock {
    started: std::time::Instant,
    first_byte_seconds: f64,
}

impl CallClock {
    /// A generation with no text yet, its prompt time set to the wait for the first byte.
    pub(crate) fn empty_generation(&self, model: &str) -> Generation {
        Generation {
            text: String::new(),
            model: model.to_owned(),
            prompt_tokens: 0,
            completion_tokens: 0,
            finish_reason: FinishReason::Stop,
            prompt_seconds: self.first_byte_seconds,
            generation_seconds: 0.0,
            fallback_reason: None,
        }
    }

    /// Seconds from the first byte of the response until now.
    pub(crate) fn generation_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64() - self.first_byte_seconds
    }
}

impl Transport {
    pub(crate) fn new(provider: String, options: RemoteOptions) -> Result<Self, LlmError> {
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|error| LlmError::Connect {
                provider: provider.clone(),
                message: format!("cannot build the HTTP client: {error}"),
            })?;
        Ok(Self {
            client,
            provider,
            options,
        })
    }

    /// Posts `body` as JSON to the provider's `path` (retrying as configured) and waits for
    /// the response headers. Returns the response, the deadline of the whole call, and its clock.
    pub(crate) async fn post_json(
        &self,
        path: &str,
        headers: HeaderMap,
        body: &impl serde::Serialize,
    ) -> Result<(Response, Instant, CallClock), LlmError> {
        let started = std::time::Instant::now();
        let deadline = self.deadline();
        let url = self.options.endpoint(path);
        let body = serde_json::to_vec(body)
            .map_err(|error| LlmError::InvalidRequest(error.to_string()))?;
        let response = self.post(&url, headers, body, deadline).await?;
        let clock = CallClock {
            started,
            first_byte_seconds: started.elapsed().as_secs_f64(),
        };
        Ok((response, deadline, clock))
    }

    pub(crate) fn options(&self) -> &RemoteOptions {
        &self.options
    }

    /// When the whole call must be over.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.options.request_timeout
    }

    /// POSTs `body` to `url` with `headers`, retrying transient failures until a 2xx response
    /// arrives (returned with its body unread), a permanent error, the retry budget or the
    /// deadline. Nothing of the body has been read when this returns, so no token has been
    /// streamed yet: that is what makes the retries safe.
    pub(crate) async fn post(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<Response, LlmError> {
        let mut attempt: u32 = 0;
        loop {
            let request = self
                .client
                .post(url)
                .headers(headers.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send();
            // The wait for response headers is bounded by the idle timeout too: a server that
            // accepts the connection and then says nothing is as dead as one that refuses it.
            let header_deadline = deadline.min(Instant::now() + self.options.idle_timeout);
            let (error, retry_after) = match tokio::time::timeout_at(header_deadline, request).await
            {
                Err(_) => (
                    LlmError::Timeout {
                        provider: self.provider.clone(),
                        which: if header_deadline == deadline {
                            "overall request timeout"
                        } else {
                            "no response within the idle timeout"
                        },
                    },
                    None,
                ),
                Ok(Err(error)) if error.is_connect() || error.is_timeout() => {
                    (self.connect_error(&error), None)
                }
                Ok(Err(error)) => return Err(self.connect_error(&error)),
                Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                Ok(Ok(response)) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    let detail = self.error_body(response, deadline).await;
                    let error = LlmError::Status {
                        provider: self.provider.clone(),
                        status: status.as_u16(),
                        detail,
                    };
                    if !is_transient(status) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
            };
            if attempt >= self.options.max_retries {
                return Err(error);
            }
            let delay = match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => return Err(error),
                Some(wait) => wait,
                None => backoff_delay(
                    attempt,
                    self.options.initial_backoff,
                    self.options.max_backoff,
                ),
            };
            if Instant::now() + delay >= deadline {
                return Err(error);
            }
            tracing::warn!(
                provider = %self.provider,
                attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                %error,
                "remote model call failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Reads the next piece of a body, within the idle timeout and the deadline, stopping early
    /// when `cancel` (the token sender) sees its receiver dropped.
    pub(crate) async fn next_chunk(
        &self,
        response: &mut Response,
        deadline: Instant,
        cancel: Option<&tokio::sync::mpsc::Sender<crate::StreamPiece>>,
    ) -> Result<ReadOutcome, LlmError> {
        let chunk_deadline = deadline.min(Instant::now() + self.options.idle_timeout);
        let which = if chunk_deadline == deadline {
            "overall request timeout"
        } else {
            "no data within the idle timeout"
        };
        let read = async {
            match tokio::time::timeout_at(chunk_deadline, response.chunk()).await {
                Err(_) => Err(LlmError::Timeout {
                    provider: self.provider.clone(),
                    which,
                }),
                Ok(Err(error)) => Err(self.connect_error(&error)),
                Ok(Ok(Some(bytes))) => Ok(ReadOutcome::Chunk(bytes.to_vec())),
                Ok(Ok(None)) => Ok(ReadOutcome::End),
            }
        };
        match cancel {
            None => read.await,
            Some(sender) => tokio::select! {
                outcome = read => outcome,
                () = sender.closed() => Ok(ReadOutcome::Cancelled),
            },
        }
    }

    /// Reads a whole (non-streamed) body, refusing one over `max_response_bytes`.
    pub(crate) async fn read_body(
        &self,
        mut response: Response,
        deadline: Instant,
    ) -> Result<Vec<u8>, LlmError> {
        let mut body = Vec::new();
        loop {
            match self.next_chunk(&mut response, deadline, None).await? {
                ReadOutcome::Chunk(bytes) => {
                    if body.len() + bytes.len() > self.options.max_response_bytes {
                        return Err(self.protocol(format!(
                            "response body larger than {} bytes",
                            self.options.max_response_bytes
                        )));
                    }
                    body.extend_from_slice(&bytes);
                }
                ReadOutcome::End | ReadOutcome::Cancelled => return Ok(body),
            }
        }
    }

    pub(crate) fn protocol(&self, message: impl Into<String>) -> LlmError {
        LlmError::Protocol {
            provider: self.provider.clone(),
            message: message.into(),
        }
    }

    fn connect_error(&self, error: &reqwest::Error) -> LlmError {
        // reqwest's Display stops at the outermost layer ("error sending request"); the cause
        // chain says what actually happened (refused, DNS, TLS).
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        LlmError::Connect {
            provider: self.provider.clone(),
            message,
        }
    }

    /// The start of an error body, as text; never fails (the status is the error).
    async fn error_body(&self, mut response: Response, deadline: Instant) -> String {
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_BYTES {
            match self.next_chunk(&mut response, deadline, None).await {
                Ok(ReadOutcome::Chunk(bytes)) => body.extend_from_slice(&bytes),
                _ => break,
            }
        }
        body.truncate(ERROR_BODY_BYTES);
        String::from_utf8_lossy(&body).trim().to_owned()
    }
}

/// 429 and 5xx are worth retrying; other statuses will not change by asking again.
fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds (the form rate limiters use). The HTTP-date form is not honoured
/// and falls back to the computed backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Exponential backoff with "equal jitter": half the delay is fixed, half random, so clients
/// that failed together do not retry together, and no retry comes sooner than half the step.
pub(crate) fn backoff_delay(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let step = initial
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
        .min(max);
    let half = step / 2;
    half + half.mul_f64(random_fraction())
}

/// A random number in [0, 1) from the standard library's randomly keyed hasher: enough for
/// jitter, and no extra dependency.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let initial = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for attempt in 0..30 {
            let step = initial
                .saturating_mul(2u32.saturating_pow(attempt.min(20)))
                .min(max);
            let delay = backoff_delay(attempt, initial, max);
            assert!(
                delay >= step / 2 && delay <= step,
                "{attempt}: {delay:?} vs {step:?}"
            );
        }
        let delays: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| backoff_delay(3, initial, max)).collect();
        assert!(delays.len() > 1, "jitter varies the delay");
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
