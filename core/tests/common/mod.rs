#![allow(dead_code)] // each test binary uses some of these
//! What the golden-vector tests share: where the files are, and the rule for rewriting them.

use std::path::{Path, PathBuf};

/// The cross-target conformance folder, `tests/` at the repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

/// Whether this run writes golden outputs (`XMARKS_BLESS=1`) instead of checking them.
pub fn blessing() -> bool {
    std::env::var_os("XMARKS_BLESS").is_some()
}

/// Ends a golden test. Checking: the file's version must be `current` and nothing may differ.
/// Blessing: sets the file's version to `current` and returns true (the caller writes the file),
/// but refuses when an existing output changed while the version stayed the same.
pub fn finish(file_version: &mut String, current: &str, mismatches: &[String]) -> bool {
    if blessing() {
        assert!(
            file_version != current || mismatches.is_empty(),
            "refusing to bless: outputs changed but the version is still {current}:\n{}",
            mismatches.join("\n")
        );
        *file_version = current.to_owned();
        return true;
    }
    assert_eq!(file_version, current, "golden file was made by another version");
    assert!(mismatches.is_empty(), "{} golden cases differ:\n{}", mismatches.len(), mismatches.join("\n"));
    false
}
