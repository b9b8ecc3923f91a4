//! Provenance: where a validated scenario came from (its file and that file's digest, the
//! overrides as the user wrote them, the backlog snapshot), so two runs' inputs can be told
//! apart after the fact.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// Where a validated scenario came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The scenario file's path as given on the command line, or the name its text was
    /// given (`fitted scenario`).
    pub source: String,
    /// SHA-256 of the scenario text as read, in lowercase hex.
    pub sha256: String,
    /// The overrides in the order they were applied, as the user wrote them: `--seed 7`,
    /// `--horizon 3d`, `--set sync.workers=2` (a planner candidate's own values follow the
    /// shared ones, written as `--set`).
    pub overrides: Vec<String>,
    /// The backlog snapshot whose records start pending, if any.
    pub snapshot: Option<SnapshotOrigin>,
}

/// The backlog snapshot file a scenario's initial entries were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOrigin {
    /// The file as read: `--initial-backlog` as given, or the scenario's
    /// `initial_backlog_file` joined to the scenario file's folder.
    pub path: PathBuf,
    /// SHA-256 of the file as read, in lowercase hex.
    pub sha256: String,
    /// Line numbers of the first bad rows left out (`--skip-bad-rows`, at most
    /// [`crate::data::KEPT_BAD_LINES`]); empty when every row was used.
    pub skipped_lines: Vec<u64>,
    /// How many bad rows were left out, all told.
    pub skipped_rows: u64,
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` in lowercase hex, two digits each.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
