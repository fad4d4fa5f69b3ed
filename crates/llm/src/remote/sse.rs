//! A server-sent-events decoder: bytes in (split anywhere), complete events out. Both remote
//! wire formats stream their answers this way.

/// One event: its `event:` name (if any) and its `data:` lines joined with `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Incremental decoder. Bounded: a line or an event longer than `max_event_bytes` is an error,
/// so a server that never sends a newline cannot grow memory without limit.
#[derive(Debug)]
pub(crate) struct SseDecoder {
    pending: Vec<u8>,
    event: Option<String>,
    data: String,
    has_data: bool,
    max_event_bytes: usize,
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SseError {
    TooLong(usize),
    NotUtf8,
}

impl std::fmt::Display for SseError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::TooLong(limit) => write!(formatter, "stream event longer than {limit} bytes"),
            SseError::NotUtf8 => formatter.write_str("stream line is not UTF-8"),
        }
    }
}

impl SseDecoder {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        Self {
            pending: Vec::new(),
            event: None,
            data: String::new(),
            has_data: false,
            max_event_bytes,
        }
    }

    /// Feeds bytes; returns the events they complete.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        self.pending.extend_from_slice(bytes);
        // Taken out so the lines can borrow it while `take_line` updates the open event.
        let mut pending = std::mem::take(&mut self.pending);
        let mut events = Vec::new();
        let mut consumed = 0;
        while let Some(offset) = pending[consumed..].iter().position(|&b| b == b'\n') {
            let end = consumed + offset;
            let mut line = &pending[consumed..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
            if let Some(event) = self.take_line(line)? {
                events.push(event);
            }
            consumed = end + 1;
        }
        pending.drain(..consumed);
        self.pending = pending;
        if self.pending.len() > self.max_event_bytes {
            return Err(SseError::TooLong(self.max_event_bytes));
        }
        Ok(events)
    }

    /// The event still open when the stream ended without its blank line, if any.
    pub(crate) fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            let line = std::str::from_utf8(&rest).map_err(|_| SseError::NotUtf8)?;
            let line = line.strip_suffix('\r').unwrap_or(line).to_owned();
            if let Some(event) = self.take_line(&line)? {
                return Ok(Some(event));
            }
        }
        Ok(self.dispatch())
    }

    fn take_line(&mut self, line: &str) -> Result<Option<SseEvent>, SseError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                if self.data.len() > self.max_event_bytes {
                    return Err(SseError::TooLong(self.max_event_bytes));
                }
            }
            "event" => self.event = Some(value.to_owned()),
            // `id` and `retry` matter to browsers reconnecting, not to one completion.
            _ => {}
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &str, piece: usize) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new(1024);
        let mut events = Vec::new();
        for chunk in input.as_bytes().chunks(piece) {
            events.extend(decoder.push(chunk).unwrap());
        }
        events.extend(decoder.finish().unwrap());
        events
    }

    #[test]
    fn events_are_the_same_however_the_bytes_are_split() {
        let input = ": keep-alive\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\ndata: one\ndata: two\n\nevent: ping\n\ndata: [DONE]";
        let expected = vec![
            SseEvent {
                event: Some("message_start".into()),
                data: "{\"a\":1}".into(),
            },
            SseEvent {
                event: None,
                data: "one\ntwo".into(),
            },
            SseEvent {
                event: None,
                data: "[DONE]".into(),
            },
        ];
        for piece in 1..input.len() {
            assert_eq!(decode_in_pieces(input, piece), expected, "piece {piece}");
        }
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut decoder = SseDecoder::new(16);
        assert_eq!(
            decoder.push(&[b'x'; 40]).unwrap_err(),
            SseError::TooLong(16)
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let mut decoder = SseDecoder::new(64);
        assert_eq!(
            decoder.push(b"data: \xff\xfe\n").unwrap_err(),
            SseError::NotUtf8
        );
    }
}
