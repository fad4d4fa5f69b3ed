//! Evaluation scenarios as data: `evals/scenarios/<id>/scenario.toml` plus the files it lists.
//!
//! A scenario is an incident an on-call engineer meets: a question, the files they would attach
//! (incident data and, sometimes, a known-good baseline) and the truth, which only the scorer
//! reads: the root-cause family, the component at fault and the key next step.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The categories a truth may name: the product's `HypothesisCategory` in snake_case.
pub const CATEGORIES: &[&str] = &[
    "resource_exhaustion",
    "dependency_failure",
    "network",
    "configuration",
    "code_defect",
    "performance",
    "security",
    "storage",
];

/// Which half of the suite a scenario belongs to. Improvements are made looking at `dev`
/// only; `holdout` measures whether they generalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Looked at while improving the product.
    Dev,
    /// Scored, never looked at while improving.
    Holdout,
}

impl Split {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Holdout => "holdout",
        }
    }
}

/// Whether a file is incident data or a known-good baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// Sent as a `file` part.
    Incident,
    /// Sent as a `baseline` part.
    Baseline,
}

/// One file of a scenario, as listed in `scenario.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// File name inside the scenario folder (also the name it is uploaded under).
    pub name: String,
    /// Incident or baseline.
    pub role: FileRole,
    /// What the file is, for people (`json lines`, `k8s events`, `otlp json`, ...).
    pub kind: String,
}

/// The true root cause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Truth {
    /// `HypothesisCategory` in snake_case.
    pub category: String,
    /// The entity at fault, as its name appears in the data.
    pub component: String,
    /// Other names of the same entity in the data (pod names, host names).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A correct next step contains one of these (case-insensitive): a command or keyword.
    pub next_step: Vec<String>,
}

/// `scenario.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// One or two sentences for people: what happened.
    pub description: String,
    /// `dev` or `holdout`.
    pub split: Split,
    /// The engineer's question.
    pub question: String,
    /// The answer key.
    pub truth: Truth,
    /// The files, in upload order.
    pub files: Vec<ScenarioFile>,
}

/// A loaded scenario: its spec and the bytes of its files.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Folder name.
    pub id: String,
    /// The spec.
    pub spec: ScenarioSpec,
    /// `(file, bytes)` in upload order.
    pub files: Vec<(ScenarioFile, Vec<u8>)>,
}

impl Scenario {
    /// Reads `dir/scenario.toml` and the files it lists; checks the truth is well formed.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spec_path = dir.join("scenario.toml");
        let text = std::fs::read_to_string(&spec_path)
            .with_context(|| format!("reading {}", spec_path.display()))?;
        let spec: ScenarioSpec =
            toml::from_str(&text).with_context(|| format!("parsing {}", spec_path.display()))?;
        if !CATEGORIES.contains(&spec.truth.category.as_str()) {
            bail!("{id}: unknown truth category {:?}", spec.truth.category);
        }
        if spec.truth.next_step.is_empty() || spec.truth.component.trim().is_empty() {
            bail!("{id}: the truth needs a component and at least one next-step keyword");
        }
        if !spec.files.iter().any(|f| f.role == FileRole::Incident) {
            bail!("{id}: at least one incident file is needed");
        }
        let mut files = Vec::new();
        for file in &spec.files {
            let path = dir.join(&file.name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            files.push((file.clone(), bytes));
        }
        Ok(Self { id, spec, files })
    }

    /// Every scenario folder under `root`, sorted by name.
    pub fn load_all(root: &Path) -> anyhow::Result<Vec<Self>> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
            .with_context(|| format!("listing {}", root.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.join("scenario.toml").is_file())
            .collect();
        dirs.sort();
        dirs.iter().map(|dir| Self::load(dir)).collect()
    }
}
