//! Scores one `/api/v1/troubleshoot` response against a scenario's truth.
//!
//! Definitions (the README's evaluation table repeats them):
//! - A hypothesis is **correct** when its category equals the truth's and it names the true
//!   component: a suspect's name, or its title, contains the component or one of its aliases as
//!   a whole word (case-insensitive; word characters are letters, digits, `-` and `_`, so
//!   `checkout` does not match `checkout-db`). Its rank is the 1-based position of the first
//!   correct hypothesis; top-k means rank <= k.
//! - The **key next step** is found when a next step (description or command) of a correct
//!   hypothesis contains one of the truth's keywords (case-insensitive).
//! - **Citations** are everything in the answer and the hypotheses that points at something:
//!   finding ids (`F3`) and hypothesis ids (`H2`), which must exist in the response; line
//!   references (`app.log lines 40-52`, `sed -n '40,60p' app.log`), whose file must be an
//!   upload and whose lines must lie inside it; suspect entities, whose name parts (of three
//!   characters or more) must occur in the uploads or the question, and a name with no such part
//!   (`gc`, `db`) must occur there as a whole word; and commands, whose name-like words must occur in the uploads,
//!   the question or the runbook library (a placeholder like `<pod>` is left for the engineer).
//! - A **hallucinated entity** is a name-like word of the answer text (`payment-svc`,
//!   `db-01.prod`, `orders_db`) found neither in the uploads, the question, the runbook library
//!   nor the product's own fixed wording.

use crate::scenario::{Scenario, Truth};
use anyhow::Context;
use faultmaven_server::dto::{Hypothesis, TroubleshootResponse};
use std::collections::BTreeSet;
use std::path::Path;

/// Words a response may use without them being invented: the uploads (with their names), the
/// question, and the fixed text of the product (runbooks, engine wording).
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Lowercased text of the uploads, file names and question, searched by substring.
    data: String,
    /// Line count of each uploaded file, by name.
    line_counts: Vec<(String, u64)>,
    /// Name-like words of the product's fixed text (lowercased).
    product_words: BTreeSet<String>,
}

impl Vocabulary {
    /// The vocabulary of one scenario; `product_text` is the runbook library and the product's
    /// own wording (read once by the caller).
    pub fn new(scenario: &Scenario, product_words: &BTreeSet<String>) -> Self {
        let mut data = scenario.spec.question.to_lowercase();
        let mut line_counts = Vec::new();
        for (file, bytes) in &scenario.files {
            let text = String::from_utf8_lossy(bytes);
            data.push('\n');
            data.push_str(&file.name.to_lowercase());
            data.push('\n');
            data.push_str(&text.to_lowercase());
            let lines = text.lines().count() as u64;
            line_counts.push((file.name.clone(), lines));
        }
        Self {
            data,
            line_counts,
            product_words: product_words.clone(),
        }
    }

    fn in_data(&self, word: &str) -> bool {
        self.data.contains(&word.to_lowercase())
    }

    fn known(&self, word: &str) -> bool {
        self.in_data(word) || self.product_words.contains(&word.to_lowercase())
    }
}

/// The name-like words of a text: runs of letters, digits, `-`, `_`, `.` that join at least
/// two alphanumeric parts and contain a letter (`payment-svc`, `db-01.prod`, `orders_db`), with
/// trailing punctuation dropped. Dates, times, versions and flags are not names.
pub fn name_like_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for raw in text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        let word = raw.trim_matches(|c: char| matches!(c, '-' | '_' | '.'));
        if word.len() < 4 || raw.starts_with('-') {
            continue;
        }
        let parts = word
            .split(['-', '_', '.'])
            .filter(|part| !part.is_empty())
            .count();
        let has_letter = word.bytes().any(|b| b.is_ascii_alphabetic());
        // `v1.2.3`, `1.5s`, `2024-05-01`: a letter only as a unit or version prefix.
        let letters = word.bytes().filter(u8::is_ascii_alphabetic).count();
        if parts >= 2 && has_letter && letters > 2 {
            words.push(word.to_owned());
        }
    }
    words
}

/// Whether `word` is a dotted key path whose every key is a whole word of the data
/// (`metadata.resourceVersion` from a YAML file holds `metadata:` and `resourceVersion:` on
/// lines of their own, so the path itself never occurs in it).
pub fn key_path_in(data: &str, word: &str) -> bool {
    word.contains('.')
        && word
            .split('.')
            .all(|key| key.len() >= 2 && contains_word(data, key))
}

/// Splits the answer into the text it claims and the names the server marked with
/// `UNVERIFIED_NAME_MARK` (the name right before each mark), which are left out of the text.
pub fn split_flagged_names(answer: &str) -> (String, Vec<String>) {
    let mark = faultmaven_engine::UNVERIFIED_NAME_MARK;
    let mut claimed = String::with_capacity(answer.len());
    let mut flagged = Vec::new();
    let mut pieces = answer.split(mark).peekable();
    while let Some(piece) = pieces.next() {
        let marked = pieces.peek().is_some();
        match name_like_words(piece).pop() {
            Some(name) if marked && piece.ends_with(&name) => {
                claimed.push_str(&piece[..piece.len() - name.len()]);
                flagged.push(name);
            }
            _ => claimed.push_str(piece),
        }
    }
    (claimed, flagged)
}

/// Name-like words of the product's fixed text.
pub fn product_words(texts: &[String]) -> BTreeSet<String> {
    texts
        .iter()
        .flat_map(|text| name_like_words(text))
        .map(|word| word.to_lowercase())
        .collect()
}

/// Whether `needle` occurs in `haystack` as a whole word (case-insensitive), where word
/// characters are ASCII letters, digits, `-` and `_`.
pub fn contains_word(haystack: &str, needle: &str) -> bool {
    let haystack = haystack.to_lowercase();
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_');
    haystack.match_indices(&needle).any(|(start, _)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + needle.len()..].chars().next();
        before.is_none_or(|c| !is_word(c)) && after.is_none_or(|c| !is_word(c))
    })
}

/// Does the hypothesis blame the true component?
pub fn names_component(hypothesis: &Hypothesis, truth: &Truth) -> bool {
    let names: Vec<&str> = std::iter::once(truth.component.as_str())
        .chain(truth.aliases.iter().map(String::as_str))
        .collect();
    names.iter().any(|name| {
        contains_word(&hypothesis.title, name)
            || hypothesis
                .suspects
                .iter()
                .any(|suspect| contains_word(&suspect.name, name))
    })
}

/// Is the hypothesis the true root cause (category and component)?
pub fn is_correct(hypothesis: &Hypothesis, truth: &Truth) -> bool {
    hypothesis.category == truth.category && names_component(hypothesis, truth)
}

/// What kind of thing a citation points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CitationKind {
    /// `F3`.
    Finding,
    /// `H2`.
    Hypothesis,
    /// A file and line range.
    Lines,
    /// A suspect entity of a hypothesis.
    Entity,
    /// A next-step command.
    Command,
}

impl CitationKind {
    /// Lowercase name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Finding => "finding id",
            Self::Hypothesis => "hypothesis id",
            Self::Lines => "line ref",
            Self::Entity => "entity",
            Self::Command => "command",
        }
    }
}

/// One citation and whether it verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// What it points at.
    pub kind: CitationKind,
    /// The citation as written.
    pub text: String,
    /// Whether it points at something that exists.
    pub verified: bool,
}

/// The score of one response.
#[derive(Debug, Clone, Default)]
pub struct ScenarioScore {
    /// 1-based rank of the first correct hypothesis.
    pub rank: Option<usize>,
    /// A correct hypothesis carries the key next step.
    pub next_step_found: bool,
    /// Every citation found, verified or not.
    pub citations: Vec<Citation>,
    /// Name-like words of the answer found nowhere in the data or the product's text.
    pub hallucinated: Vec<String>,
    /// Confidence of the top hypothesis (0 when there is none).
    pub top_confidence: f64,
    /// Citations the server itself removed from the model's text.
    pub removed_by_server: usize,
    /// Names the server marked in the answer as found in nothing the model was shown: not
    /// hallucinations presented as fact, but counted apart so they stay visible.
    pub flagged_by_server: Vec<String>,
}

impl ScenarioScore {
    /// Citations that verified / all citations.
    pub fn citation_counts(&self) -> (usize, usize) {
        let verified = self.citations.iter().filter(|c| c.verified).count();
        (verified, self.citations.len())
    }
}

/// `F12` / `H3` tokens of a text, with the same word boundaries the server uses.
fn id_tokens(text: &str, prefix: char) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let boundary_before = index == 0 || !chars[index - 1].is_alphanumeric();
        if chars[index] == prefix && boundary_before {
            let digits = chars[index + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let after = chars.get(index + 1 + digits);
            if digits > 0 && after.is_none_or(|c| !c.is_alphanumeric()) {
                tokens.push(chars[index..=index + digits].iter().collect());
                index += 1 + digits;
                continue;
            }
        }
        index += 1;
    }
    tokens
}

/// Line references in a text: `<file> line N`, `<file> lines A-B` (optionally with a
/// back-quoted series between), and `sed -n 'A,Bp' <file>`. Returns (file, first, last).
fn line_refs(text: &str, files: &[(String, u64)]) -> Vec<(String, u64, u64)> {
    let mut refs = Vec::new();
    for (name, _) in files {
        for (start, _) in text.match_indices(name.as_str()) {
            let mut rest = text[start + name.len()..].trim_start();
            if let Some(quoted) = rest.strip_prefix('`') {
                rest = quoted
                    .split_once('`')
                    .map_or("", |(_, after)| after)
                    .trim_start();
            }
            let Some(numbers) = rest
                .strip_prefix("lines ")
                .or_else(|| rest.strip_prefix("line "))
            else {
                continue;
            };
            if let Some(range) = parse_range(numbers, '-') {
                refs.push((name.clone(), range.0, range.1));
            }
        }
    }
    let mut rest = text;
    while let Some(position) = rest.find("sed -n '") {
        let after = &rest[position + "sed -n '".len()..];
        if let Some((range, tail)) = after.split_once("p'") {
            if let Some((first, last)) = parse_range(range, ',') {
                // The file is the uploaded name the command continues with, else its next word.
                let tail = tail.trim_start().trim_start_matches(['\'', '"']);
                let file = files
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .filter(|name| tail.starts_with(name))
                    .max_by_key(|name| name.len())
                    .unwrap_or_else(|| tail.split_whitespace().next().unwrap_or_default());
                refs.push((file.to_owned(), first, last));
            }
        }
        rest = after;
    }
    refs
}

fn parse_range(text: &str, separator: char) -> Option<(u64, u64)> {
    let digits = |s: &str| -> Option<(u64, usize)> {
        let length = s.bytes().take_while(u8::is_ascii_digit).count();
        s[..length].parse().ok().map(|n| (n, length))
    };
    let (first, length) = digits(text)?;
    match text[length..].strip_prefix(separator) {
        Some(tail) => digits(tail).map(|(last, _)| (first, last)),
        None => Some((first, first)),
    }
}

/// Scores one response.
pub fn score_response(
    response: &TroubleshootResponse,
    scenario: &Scenario,
    vocabulary: &Vocabulary,
) -> ScenarioScore {
    let truth = &scenario.spec.truth;
    let mut score = ScenarioScore {
        top_confidence: response.hypotheses.first().map_or(0.0, |h| h.confidence),
        removed_by_server: response.answer_provenance.removed_citations.len(),
        flagged_by_server: Vec::new(),
        ..ScenarioScore::default()
    };
    score.rank = response
        .hypotheses
        .iter()
        .position(|h| is_correct(h, truth))
        .map(|index| index + 1);
    score.next_step_found = response
        .hypotheses
        .iter()
        .filter(|h| is_correct(h, truth))
        .flat_map(|h| &h.next_steps)
        .any(|step| {
            let text = format!(
                "{} {}",
                step.description,
                step.command.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            truth
                .next_step
                .iter()
                .any(|key| text.contains(&key.to_lowercase()))
        });

    let finding_ids: BTreeSet<&str> = response.findings.iter().map(|f| f.id.as_str()).collect();
    let hypothesis_ids: BTreeSet<&str> =
        response.hypotheses.iter().map(|h| h.id.as_str()).collect();
    let mut cite = |kind, text: String, verified| {
        score.citations.push(Citation {
            kind,
            text,
            verified,
        });
    };

    // Texts a reader sees: the answer, and each hypothesis's title, rationale and steps.
    let mut texts: Vec<&str> = vec![response.answer.as_str()];
    for hypothesis in &response.hypotheses {
        texts.push(&hypothesis.title);
        texts.push(&hypothesis.rationale);
        for step in &hypothesis.next_steps {
            texts.push(&step.description);
        }
        for id in &hypothesis.finding_ids {
            cite(
                CitationKind::Finding,
                id.clone(),
                finding_ids.contains(id.as_str()),
            );
        }
        for suspect in &hypothesis.suspects {
            let parts: Vec<&str> = suspect
                .name
                .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
                .filter(|part| part.len() >= 3 && !part.bytes().all(|b| b.is_ascii_digit()))
                .collect();
            let verified = if parts.is_empty() {
                // A short name (`gc` from a JVM `[gc]` tag) would match anything as a
                // substring: it must occur as a whole word.
                let name = suspect.name.trim();
                !name.is_empty() && contains_word(&vocabulary.data, name)
            } else {
                parts.iter().all(|part| vocabulary.in_data(part))
            };
            cite(
                CitationKind::Entity,
                format!("{} {}", suspect.kind, suspect.name),
                verified,
            );
        }
        for command in hypothesis
            .next_steps
            .iter()
            .filter_map(|s| s.command.as_ref())
        {
            let unknown: Vec<String> = name_like_words(command)
                .into_iter()
                .filter(|word| !vocabulary.known(word))
                .collect();
            cite(CitationKind::Command, command.clone(), unknown.is_empty());
            texts.push(command);
        }
    }
    for text in &texts {
        for id in id_tokens(text, 'F') {
            let verified = finding_ids.contains(id.as_str());
            cite(CitationKind::Finding, id, verified);
        }
        for id in id_tokens(text, 'H') {
            let verified = hypothesis_ids.contains(id.as_str());
            cite(CitationKind::Hypothesis, id, verified);
        }
        for (file, first, last) in line_refs(text, &vocabulary.line_counts) {
            let verified = vocabulary.line_counts.iter().any(|(name, lines)| {
                *name == file && 1 <= first && first <= last && last <= *lines
            });
            cite(
                CitationKind::Lines,
                format!("{file}:{first}-{last}"),
                verified,
            );
        }
    }

    let (claimed, mut flagged) = split_flagged_names(&response.answer);
    flagged.sort();
    flagged.dedup();
    score.flagged_by_server = flagged;
    let mut hallucinated: Vec<String> = name_like_words(&claimed)
        .into_iter()
        .filter(|word| !vocabulary.known(word) && !key_path_in(&vocabulary.data, word))
        .collect();
    hallucinated.sort();
    hallucinated.dedup();
    score.hallucinated = hallucinated;
    score
}

/// The product's fixed text: the runbook library and the wording of the engine and analysis.
pub fn read_product_text(repo: &Path) -> anyhow::Result<Vec<String>> {
    let mut texts = Vec::new();
    for folder in [
        "crates/knowledge/runbooks",
        "crates/engine/src",
        "crates/engine/prompts",
        "crates/analysis/src",
        "crates/analysis/src/rca",
        "crates/analysis/src/traces",
        "crates/analysis/src/analyzer",
        "crates/analysis/src/entity",
        "crates/model/src",
    ] {
        let dir = repo.join(folder);
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
        {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_file() && name != "tests.rs" {
                texts.push(std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(texts)
}
