//! Stop-string detection over streamed text: text that might be the start of a stop string is
//! held back until it is known not to be, so a client never sees part of a stop string.

/// Accumulates generated text and decides what can be released.
#[derive(Debug)]
pub struct StopScanner {
    stops: Vec<String>,
    longest_stop: usize,
    text: String,
    released: usize,
}

/// What a [`StopScanner::push`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum ScanStep {
    /// No stop string yet; this text (possibly empty) is safe to release.
    Continue(String),
    /// A stop string was found; this is the last text to release, and generation should end.
    Stopped(String),
}

impl StopScanner {
    /// A scanner for `stops` (empty strings are ignored: they would match everywhere).
    pub fn new(stops: &[String]) -> Self {
        let stops: Vec<String> = stops.iter().filter(|s| !s.is_empty()).cloned().collect();
        let longest_stop = stops.iter().map(String::len).max().unwrap_or(0);
        Self {
            stops,
            longest_stop,
            text: String::new(),
            released: 0,
        }
    }

    /// Adds a decoded piece.
    pub fn push(&mut self, piece: &str) -> ScanStep {
        // A stop string can straddle the previous release point, so search from far enough back.
        let search_start =
            floor_char_boundary(&self.text, self.released.saturating_sub(self.longest_stop));
        self.text.push_str(piece);
        let earliest_stop = self
            .stops
            .iter()
            .filter_map(|stop| self.text[search_start..].find(stop.as_str()))
            .min()
            .map(|offset| search_start + offset);
        if let Some(stop_at) = earliest_stop {
            // A stop found before `released` would have been found by an earlier push.
            let stop_at = stop_at.max(self.released);
            self.text.truncate(stop_at);
            return ScanStep::Stopped(self.take_until(stop_at));
        }
        let safe_end = self.text.len() - self.pending_stop_prefix_len();
        ScanStep::Continue(self.take_until(safe_end))
    }

    /// Everything not yet released (call when generation ends for another reason).
    pub fn finish(&mut self) -> String {
        self.take_until(self.text.len())
    }

    /// Consumes the scanner, returning all text so far.
    pub fn into_text(self) -> String {
        self.text
    }

    fn take_until(&mut self, end: usize) -> String {
        let start = self.released.min(end);
        self.released = end.max(self.released);
        self.text[start..end].to_string()
    }

    /// Length of the longest suffix of the unreleased text that is a proper prefix of a stop
    /// string: it may become a stop string with the next piece.
    fn pending_stop_prefix_len(&self) -> usize {
        let unreleased = &self.text[self.released..];
        unreleased
            .char_indices()
            .map(|(offset, _)| &unreleased[offset..])
            .find(|suffix| {
                self.stops
                    .iter()
                    .any(|stop| stop.len() > suffix.len() && stop.starts_with(suffix))
            })
            .map_or(0, str::len)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `pieces`, returns (released pieces joined by '|', final text, stopped?).
    fn run(stops: &[&str], pieces: &[&str]) -> (String, String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut scanner = StopScanner::new(&stops);
        let mut released = Vec::new();
        let mut stopped = false;
        for piece in pieces {
            match scanner.push(piece) {
                ScanStep::Continue(text) => released.push(text),
                ScanStep::Stopped(text) => {
                    released.push(text);
                    stopped = true;
                    break;
                }
            }
        }
        if !stopped {
            released.push(scanner.finish());
        }
        (released.join("|"), scanner.into_text(), stopped)
    }

    fn check(stops: &[&str], pieces: &[&str], expected_released: &str, expected_text: &str) {
        let (released, text, _) = run(stops, pieces);
        assert_eq!(released, expected_released, "released pieces");
        assert_eq!(text, expected_text, "final text");
    }

    #[test]
    fn releases_text_without_stops_at_once() {
        check(&[], &["a", "b", "c"], "a|b|c|", "abc");
    }

    #[test]
    fn holds_back_a_possible_stop_prefix() {
        check(&["END"], &["ab", "E", "N", "x"], "ab|||ENx|", "abENx");
    }

    #[test]
    fn stops_inside_a_piece() {
        check(&["END"], &["abEN", "Dtail"], "ab|", "ab");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        check(
            &["\n\n", "Q:"],
            &["answer Q: more\n\n"],
            "answer ",
            "answer ",
        );
    }

    #[test]
    fn multibyte_text_is_split_on_char_boundaries() {
        check(&["éé"], &["aé", "b", "é", "é"], "a|éb||", "aéb");
    }

    proptest! {
        #[test]
        fn released_text_equals_final_text_and_has_no_stop(
            pieces in proptest::collection::vec("[a-cé\n]{0,4}", 0..12),
            stop in "[a-cé\n]{1,3}",
        ) {
            let stops = vec![stop.clone()];
            let mut scanner = StopScanner::new(&stops);
            let mut released = String::new();
            for piece in &pieces {
                match scanner.push(piece) {
                    ScanStep::Continue(text) => released.push_str(&text),
                    ScanStep::Stopped(text) => { released.push_str(&text); break; }
                }
            }
            released.push_str(&scanner.finish());
            prop_assert_eq!(&released, &scanner.into_text());
            prop_assert!(!released.contains(&stop));
            let all: String = pieces.concat();
            prop_assert!(all.starts_with(&released));
        }
    }
}
