//! BM25 keyword retrieval (Okapi BM25, k1 = 1.2, b = 0.75) and the tokeniser it shares with
//! queries.

use std::collections::HashMap;

/// Term-frequency saturation: how quickly repeats of a term stop adding to the score.
const K1: f32 = 1.2;
/// Length normalisation: how much a long document is penalised for its length.
const B: f32 = 0.75;

/// Words that carry no meaning for retrieval; dropped from documents and queries alike so a
/// question's phrasing ("why is my ...") does not rank runbooks.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has",
    "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our", "so",
    "that", "the", "then", "there", "this", "to", "was", "we", "were", "what", "when", "which",
    "while", "why", "will", "with", "you", "your",
];

/// Splits `text` into lowercase alphanumeric tokens for retrieval, passing each to `emit`.
///
/// A mixed-case word also yields its parts, so `OutOfMemoryError` matches "out of memory error"
/// and `CrashLoopBackOff` matches "crash loop"; the whole word is kept too, so an exact
/// identifier still scores highest. Tokens lose a plural `s` so "timeouts" matches "timeout".
pub(crate) fn tokenize(text: &str, mut emit: impl FnMut(String)) {
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let parts = camel_case_parts(word);
        if parts.len() > 1 {
            for part in &parts {
                emit_token(part, &mut emit);
            }
        }
        emit_token(word, &mut emit);
    }
}

fn emit_token(word: &str, emit: &mut impl FnMut(String)) {
    let lower = word.to_lowercase();
    if STOP_WORDS.contains(&lower.as_str()) {
        return;
    }
    emit(singular(lower));
}

/// Drops a plural `s` (not `ss`, `us`, `is`, and not from short words like `dns`).
fn singular(mut word: String) -> String {
    if word.len() > 3
        && word.ends_with('s')
        && !(word.ends_with("ss") || word.ends_with("us") || word.ends_with("is"))
    {
        word.pop();
    }
    word
}

/// `OutOfMemoryError` -> [Out, Of, Memory, Error]; `OOMKilled` -> [OOM, Killed];
/// `http2Server` -> [http2, Server]. A word without inner case changes is one part.
fn camel_case_parts(word: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for window in 1..chars.len() {
        let (index, current) = chars[window];
        let previous = chars[window - 1].1;
        let next_is_lower = chars.get(window + 1).is_some_and(|(_, c)| c.is_lowercase());
        let boundary = current.is_uppercase()
            && (previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_is_lower));
        if boundary {
            parts.push(&word[start..index]);
            start = index;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// An inverted index over a fixed set of documents.
#[derive(Debug, Default)]
pub(crate) struct Bm25Index {
    /// Term to the documents containing it, with the term's (weighted) frequency there.
    postings: HashMap<String, Vec<(usize, f32)>>,
    /// Weighted length of each document.
    lengths: Vec<f32>,
    average_length: f32,
}

impl Bm25Index {
    /// Indexes documents given as weighted fields: a field of weight 2 counts each of its terms
    /// twice (the idea of BM25F, simplified).
    pub(crate) fn new<Document, Text>(documents: impl IntoIterator<Item = Document>) -> Self
    where
        Document: IntoIterator<Item = (Text, f32)>,
        Text: AsRef<str>,
    {
        let mut postings: HashMap<String, Vec<(usize, f32)>> = HashMap::new();
        let mut lengths = Vec::new();
        for (document, fields) in documents.into_iter().enumerate() {
            let mut frequencies: HashMap<String, f32> = HashMap::new();
            let mut length = 0.0;
            for (text, weight) in fields {
                tokenize(text.as_ref(), |token| {
                    *frequencies.entry(token).or_default() += weight;
                    length += weight;
                });
            }
            for (term, frequency) in frequencies {
                postings
                    .entry(term)
                    .or_default()
                    .push((document, frequency));
            }
            lengths.push(length);
        }
        let average_length = if lengths.is_empty() {
            0.0
        } else {
            lengths.iter().sum::<f32>() / lengths.len() as f32
        };
        Self {
            postings,
            lengths,
            average_length,
        }
    }

    /// Documents matching at least one query term, best first, with their BM25 score. A term
    /// repeated in the query counts once per repeat, as in the standard formula.
    pub(crate) fn search(&self, query: &str) -> Vec<(usize, f32)> {
        let document_count = self.lengths.len() as f32;
        let mut scores: HashMap<usize, f32> = HashMap::new();
        tokenize(query, |term| {
            let Some(postings) = self.postings.get(&term) else {
                return;
            };
            let containing = postings.len() as f32;
            // The "plus one" form of IDF stays positive for terms in most documents.
            let idf = (1.0 + (document_count - containing + 0.5) / (containing + 0.5)).ln();
            for &(document, frequency) in postings {
                let length_ratio = if self.average_length > 0.0 {
                    self.lengths[document] / self.average_length
                } else {
                    1.0
                };
                let saturation =
                    frequency * (K1 + 1.0) / (frequency + K1 * (1.0 - B + B * length_ratio));
                *scores.entry(document).or_default() += idf * saturation;
            }
        });
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().collect();
        ranked.sort_by(|left, right| {
            right
                .1
                .total_cmp(&left.1)
                .then_with(|| left.0.cmp(&right.0))
        });
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_tokens(text: &str, expected: &[&str]) {
        let mut tokens = Vec::new();
        tokenize(text, |token| tokens.push(token));
        assert_eq!(tokens, expected, "tokens of {text:?}");
    }

    #[test]
    fn tokens_are_lowercase_alphanumerics_with_camel_case_parts() {
        check_tokens(
            "java.lang.OutOfMemoryError: Java heap space",
            &[
                "java",
                "lang",
                "out",
                "memory",
                "error",
                "outofmemoryerror",
                "java",
                "heap",
                "space",
            ],
        );
        check_tokens(
            "OOMKilled, Exit Code 137",
            &["oom", "killed", "oomkilled", "exit", "code", "137"],
        );
        check_tokens(
            "CrashLoopBackOff",
            &["crash", "loop", "back", "off", "crashloopbackoff"],
        );
        check_tokens(
            "ETIMEDOUT upstream timeouts",
            &["etimedout", "upstream", "timeout"],
        );
        check_tokens(
            "why is my DNS lookup failing?",
            &["dns", "lookup", "failing"],
        );
        check_tokens(
            "status process kubernetes",
            &["status", "process", "kubernete"],
        );
        check_tokens("", &[]);
        check_tokens("--- :: ---", &[]);
        check_tokens(
            "Überprüfung fehlgeschlagen",
            &["überprüfung", "fehlgeschlagen"],
        );
    }

    #[test]
    fn camel_case_boundaries() {
        let check = |word: &str, expected: &[&str]| {
            assert_eq!(camel_case_parts(word), expected, "{word}");
        };
        check("OutOfMemoryError", &["Out", "Of", "Memory", "Error"]);
        check("OOMKilled", &["OOM", "Killed"]);
        check("ImagePullBackOff", &["Image", "Pull", "Back", "Off"]);
        check("http2Server", &["http2", "Server"]);
        check("ETIMEDOUT", &["ETIMEDOUT"]);
        check("lowercase", &["lowercase"]);
        check("X", &["X"]);
    }

    #[test]
    fn bm25_prefers_rare_terms_frequent_matches_and_short_documents() {
        let documents = [
            vec![("disk full no space left on device", 1.0)],
            vec![("connection refused by the database server", 1.0)],
            vec![(
                "database connection pool exhausted, timeout waiting for a connection",
                1.0,
            )],
            vec![(
                "database database database slow queries and lock waits on the database",
                1.0,
            )],
        ];
        let index = Bm25Index::new(documents);
        let ranked = |query: &str| -> Vec<usize> {
            index
                .search(query)
                .into_iter()
                .map(|(document, _)| document)
                .collect()
        };
        assert_eq!(ranked("no space left"), [0]);
        // "refused" is rarer than "connection", so the document with it comes first.
        assert_eq!(ranked("connection refused"), [1, 2]);
        // Term frequency counts, with saturation and length normalisation.
        assert_eq!(ranked("database")[0], 3);
        assert!(ranked("kafka").is_empty());
        assert!(ranked("").is_empty());
        let scores = index.search("pool exhausted");
        assert_eq!(scores.len(), 1);
        assert!(scores[0].1 > 0.0);
    }

    #[test]
    fn field_weight_counts_as_repeated_terms() {
        let weighted = Bm25Index::new([
            vec![("alpha", 2.0), ("beta", 1.0)],
            vec![("alpha beta", 1.0)],
        ]);
        let repeated = Bm25Index::new([vec![("alpha alpha beta", 1.0)], vec![("alpha beta", 1.0)]]);
        let weighted_scores = weighted.search("alpha");
        let repeated_scores = repeated.search("alpha");
        assert_eq!(weighted_scores.len(), 2);
        for (left, right) in weighted_scores.iter().zip(&repeated_scores) {
            assert_eq!(left.0, right.0);
            assert!((left.1 - right.1).abs() < 1e-6);
        }
    }

    #[test]
    fn bm25_scores_match_the_formula() {
        // Two documents, one term in one of them: idf = ln(1 + (2 - 1 + 0.5) / (1 + 0.5)) = ln 2;
        // tf = 1, length 2 against an average of 1.5.
        let index = Bm25Index::new([vec![("kafka lag", 1.0)], vec![("disk", 1.0)]]);
        let scores = index.search("kafka");
        let expected = 2f32.ln() * (1.0 * 2.2) / (1.0 + 1.2 * (0.25 + 0.75 * (2.0 / 1.5)));
        assert_eq!(scores.len(), 1);
        assert!(
            (scores[0].1 - expected).abs() < 1e-6,
            "{} vs {expected}",
            scores[0].1
        );
    }
}
