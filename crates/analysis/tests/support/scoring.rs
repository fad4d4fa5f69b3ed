//! Loghub-2k in the benchmark protocol (header formats of SETTINGS.md) and the four accuracy
//! metrics of the log-parsing literature: GA, FGA, PA and FTA.
//!
//! Shared by the `loghub_ga` test and the `loghub_eval` example. The header formats are the
//! data set's, used only to cut the `Content` field out of a raw line as the papers do; the
//! miner itself never sees them.

#![allow(dead_code)]

use super::loghub::parse_csv;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;

/// Per system, the log format of logparser's Drain benchmark (SETTINGS.md, "How the Drain
/// benchmark splits a line").
pub const HEADER_FORMATS: [(&str, &str); 16] = [
    ("Android", "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>"),
    ("Apache", r"\[<Time>\] \[<Level>\] <Content>"),
    (
        "BGL",
        "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
    ),
    ("HDFS", "<Date> <Time> <Pid> <Level> <Component>: <Content>"),
    ("HPC", "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>"),
    (
        "Hadoop",
        r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    ),
    ("HealthApp", r"<Time>\|<Component>\|<Pid>\|<Content>"),
    (
        "Linux",
        r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
    ),
    (
        "Mac",
        r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
    ),
    (
        "OpenSSH",
        r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
    ),
    (
        "OpenStack",
        r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
    ),
    ("Proxifier", r"\[<Time>\] <Program> - <Content>"),
    ("Spark", "<Date> <Time> <Level> <Component>: <Content>"),
    (
        "Thunderbird",
        r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>",
    ),
    (
        "Windows",
        "<Date> <Time>, <Level>                  <Component>    <Content>",
    ),
    (
        "Zookeeper",
        r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
    ),
];

/// The regex logparser builds from a log format: each `<Field>` a lazy named group, the text
/// between fields a regex fragment whose space runs match `\s+`, anchored at both ends.
pub fn header_regex(format: &str) -> regex::Regex {
    let mut pattern = String::from("^");
    let mut rest = format;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        push_literal(&mut pattern, &rest[..open]);
        let name = &rest[open + 1..open + close];
        pattern.push_str(&format!("(?P<{name}>.*?)"));
        rest = &rest[open + close + 1..];
    }
    push_literal(&mut pattern, rest);
    pattern.push('$');
    regex::Regex::new(&pattern).unwrap_or_else(|error| panic!("format {format:?}: {error}"))
}

fn push_literal(pattern: &mut String, literal: &str) {
    let mut spaces = false;
    for character in literal.chars() {
        if character == ' ' {
            if !spaces {
                pattern.push_str(r"\s+");
            }
            spaces = true;
        } else {
            pattern.push(character);
            spaces = false;
        }
    }
}

/// One system of loghub-2k with both ground truths, line by line (index = `LineId - 1`).
pub struct System {
    pub name: &'static str,
    /// The raw file as bytes, exactly as a user would upload it.
    pub raw: Vec<u8>,
    /// `Content` as the header format cuts it out of each raw line (`None`: no match).
    pub contents: Vec<Option<String>>,
    /// Original ground truth `EventId` (for GA).
    pub event_ids: Vec<String>,
    /// Corrected template text (for PA, FGA, FTA), empty when the line is unlabelled.
    pub templates: Vec<String>,
    /// Which corrected set `templates` comes from.
    pub template_source: &'static str,
}

/// Loads one system: raw log, header-format contents, original ids and the Loghub-2.0
/// corrected templates (the ICSE'22 corrected set for the two systems Loghub-2.0 lacks).
pub fn load_system(dir: &Path, name: &'static str) -> Result<System, String> {
    let folder = dir.join(name);
    let raw_path = folder.join(format!("{name}_2k.log"));
    let raw = std::fs::read(&raw_path).map_err(|e| {
        format!(
            "cannot read {}: {e} (set LOGHUB_2K_DIR)",
            raw_path.display()
        )
    })?;
    let format = HEADER_FORMATS
        .iter()
        .find(|(system, _)| *system == name)
        .map(|(_, format)| *format)
        .ok_or_else(|| format!("no header format for {name}"))?;
    let regex = header_regex(format);
    let text = String::from_utf8_lossy(&raw);
    let contents: Vec<Option<String>> = text
        .lines()
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            regex
                .captures(line)
                .and_then(|captures| captures.name("Content"))
                .map(|content| content.as_str().to_owned())
        })
        .collect();
    let original = read_column(
        &folder.join(format!("{name}_2k.log_structured.csv")),
        "EventId",
    )?;
    let loghub2 = folder
        .join("loghub2_corrected")
        .join(format!("{name}_2k.log_structured_corrected.csv"));
    let (templates, template_source) = if loghub2.exists() {
        (read_column(&loghub2, "EventTemplate")?, "loghub2_corrected")
    } else {
        let icse = folder
            .join("icse22_corrected")
            .join(format!("{name}_2k.log_structured_corrected.csv"));
        (read_column(&icse, "EventTemplate")?, "icse22_corrected")
    };
    if original.len() != contents.len() || templates.len() != contents.len() {
        return Err(format!(
            "{name}: {} lines, {} original rows, {} corrected rows",
            contents.len(),
            original.len(),
            templates.len()
        ));
    }
    Ok(System {
        name,
        raw,
        contents,
        event_ids: original,
        templates,
        template_source,
    })
}

fn read_column(path: &Path, column: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e} (set LOGHUB_2K_DIR)", path.display()))?;
    let mut rows = parse_csv(&text).into_iter();
    let header = rows.next().ok_or("empty csv")?;
    let index = header
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| format!("no {column} column in {}", path.display()))?;
    Ok(rows
        .map(|row| row.get(index).cloned().unwrap_or_default())
        .collect())
}

/// What a parser said about one line: its group and its template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub group: u64,
    pub template: String,
}

/// The four metrics of one parser on one system.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub ga: f64,
    pub fga: f64,
    pub pa: f64,
    pub fta: f64,
}

/// Scores `parsed` (one entry per line) against a system's ground truths: GA with the parser's
/// groups against the original `EventId`s (logparser's evaluator), PA/FGA/FTA against the
/// corrected templates, where both sides group lines by template *text* (Loghub-2.0's code).
pub fn score(system: &System, parsed: &[Parsed]) -> Scores {
    assert_eq!(parsed.len(), system.event_ids.len());
    let groups: Vec<u64> = parsed.iter().map(|p| p.group).collect();
    let texts: Vec<&str> = parsed.iter().map(|p| p.template.as_str()).collect();
    let truth: Vec<&str> = system.templates.iter().map(String::as_str).collect();
    let (fga, fta) = template_level(&texts, &truth);
    Scores {
        ga: grouping_accuracy(&groups, &system.event_ids),
        fga,
        pa: parsing_accuracy(&texts, &truth),
        fta,
    }
}

/// GA: the share of labelled lines whose predicted group holds exactly the lines of their
/// truth group.
pub fn grouping_accuracy<P: Eq + Hash + Clone>(predicted: &[P], truth: &[String]) -> f64 {
    super::loghub::grouping_accuracy(predicted, truth)
}

/// PA: the share of labelled lines whose predicted template text equals the truth's.
pub fn parsing_accuracy(predicted: &[&str], truth: &[&str]) -> f64 {
    let mut labelled = 0usize;
    let mut correct = 0usize;
    for (p, t) in predicted.iter().zip(truth) {
        if t.is_empty() {
            continue;
        }
        labelled += 1;
        correct += usize::from(p == t);
    }
    ratio(correct, labelled)
}

/// FGA and FTA: template-level F1 of grouping, and of grouping plus exact template text.
/// A parser group (lines with one predicted text) is correct when its lines are exactly the
/// lines of one truth template; for FTA its text must also equal that template.
pub fn template_level(predicted: &[&str], truth: &[&str]) -> (f64, f64) {
    let mut predicted_sizes: HashMap<&str, usize> = HashMap::new();
    let mut truth_sizes: HashMap<&str, usize> = HashMap::new();
    let mut pairs: HashMap<(&str, &str), usize> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        if t.is_empty() {
            continue;
        }
        *predicted_sizes.entry(p).or_default() += 1;
        *truth_sizes.entry(t).or_default() += 1;
        *pairs.entry((p, t)).or_default() += 1;
    }
    let mut grouped = 0usize;
    let mut exact = 0usize;
    for (&(p, t), &n) in &pairs {
        if predicted_sizes[p] == n && truth_sizes[t] == n {
            grouped += 1;
            exact += usize::from(p == t);
        }
    }
    let f1 = |correct: usize| {
        let precision = ratio(correct, predicted_sizes.len());
        let recall = ratio(correct, truth_sizes.len());
        if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        }
    };
    (f1(grouped), f1(exact))
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}
