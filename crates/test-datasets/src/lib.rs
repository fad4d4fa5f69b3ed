//! Finds the third-party evaluation data sets (loghub-2k, the NAB subset) that tests,
//! examples and evals read. They are not in the repository: they sit in a `shared/datasets`
//! folder beside some checkout, which may be the main repository or a worktree nested several
//! folders deeper. So the search is: the data set's environment variable first (an explicit
//! choice wins, and a wrong one is an error, not a fallback), then `shared/datasets/<name>` in
//! the nearest parent folder of the caller's crate that holds one.
//!
//! A test that needs a data set calls [`Dataset::dir`], which fails the test with a message
//! saying what to set: a data-set test that is skipped in silence passes while testing nothing.

use std::path::{Path, PathBuf};

/// A data set under `shared/datasets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// loghub-2k: 2,000 labelled lines from each of 16 systems (`<System>/<System>_2k.log`).
    Loghub2k,
    /// A subset of the Numenta Anomaly Benchmark (`data/<category>/<file>.csv`, `labels/`).
    NabSubset,
}

/// The data set is neither where its environment variable says nor in any parent folder.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The environment variable names a folder that does not exist.
    #[error("{variable}={} is not a folder", path.display())]
    VariableNotAFolder {
        /// The variable.
        variable: &'static str,
        /// What it holds.
        path: PathBuf,
    },
    /// No parent folder of the start holds `shared/datasets/<name>`.
    #[error(
        "data set {name} not found: set {variable}, or place it at shared/datasets/{name} in \
         a parent folder of {}",
        start.display()
    )]
    NotFound {
        /// The data set's folder name.
        name: &'static str,
        /// Its environment variable.
        variable: &'static str,
        /// Where the search started.
        start: PathBuf,
    },
}

impl Dataset {
    /// The data set's folder name under `shared/datasets`.
    pub fn folder_name(self) -> &'static str {
        match self {
            Self::Loghub2k => "loghub-2k",
            Self::NabSubset => "nab-subset",
        }
    }

    /// The environment variable that points at the data set.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Loghub2k => "LOGHUB_2K_DIR",
            Self::NabSubset => "NAB_SUBSET_DIR",
        }
    }

    /// The data set's folder: the environment variable's when set, else
    /// `shared/datasets/<name>` in the nearest of `start` and its parent folders that has one.
    /// Pass the caller's `env!("CARGO_MANIFEST_DIR")`.
    pub fn locate(self, start: impl AsRef<Path>) -> Result<PathBuf, DatasetError> {
        let variable = self.variable();
        if let Some(path) = std::env::var_os(variable).filter(|value| !value.is_empty()) {
            let path = PathBuf::from(path);
            return if path.is_dir() {
                Ok(path)
            } else {
                Err(DatasetError::VariableNotAFolder { variable, path })
            };
        }
        self.search_parents(start.as_ref())
    }

    /// The search through parent folders alone (no environment variable).
    fn search_parents(self, start: &Path) -> Result<PathBuf, DatasetError> {
        // A relative manifest directory would stop the walk at "": make it absolute first.
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        start
            .ancestors()
            .map(|folder| {
                folder
                    .join("shared")
                    .join("datasets")
                    .join(self.folder_name())
            })
            .find(|candidate| candidate.is_dir())
            .ok_or_else(|| DatasetError::NotFound {
                name: self.folder_name(),
                variable: self.variable(),
                start,
            })
    }

    /// [`locate`](Self::locate) for tests: a missing data set fails the test with the reason.
    ///
    /// # Panics
    /// When the data set cannot be found.
    pub fn dir(self, start: impl AsRef<Path>) -> PathBuf {
        self.locate(start).unwrap_or_else(|error| panic!("{error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "faultmaven-test-datasets-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_nearest_parent_with_the_data_set_wins() {
        let root = scratch("parents");
        let far = root.join("shared/datasets/loghub-2k");
        let near = root.join("wt/shared/datasets/loghub-2k");
        let crate_dir = root.join("wt/ingest/crates/analysis");
        for folder in [&far, &near, &crate_dir] {
            std::fs::create_dir_all(folder).expect("scratch folder");
        }
        let found = Dataset::Loghub2k.search_parents(&crate_dir);
        assert_eq!(found.ok(), Some(near.clone()));
        std::fs::remove_dir_all(&near).expect("scratch folder");
        let found = Dataset::Loghub2k.search_parents(&crate_dir);
        assert_eq!(found.ok(), Some(far));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_missing_data_set_names_what_to_set() {
        let root = scratch("missing");
        std::fs::create_dir_all(root.join("shared/datasets/loghub-2k")).expect("scratch");
        let error = Dataset::NabSubset
            .search_parents(&root)
            .expect_err("no nab-subset anywhere above");
        let message = error.to_string();
        assert!(message.contains("NAB_SUBSET_DIR"), "{message}");
        assert!(message.contains("shared/datasets/nab-subset"), "{message}");
        let _ = std::fs::remove_dir_all(&root);
    }
}
