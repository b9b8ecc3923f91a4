//! The files this process reads: scenario files, backlog snapshots, change logs, the admin
//! page's figures and trend, baselines. Every reader records its file here, and every writer
//! of output asks here first, so no output of a run replaces one of its own inputs, whatever
//! the flags (`run s.toml --export-edits s.toml` is refused, not obeyed). A file is known by
//! its identity on disk (device and inode on Unix), so a symbolic or hard link to an input,
//! or another spelling of its path, is the input too.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What makes two paths one file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    /// Device and inode.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path, where there are no inodes.
    #[cfg(not(unix))]
    Canonical(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Through links: the file a path leads to is what would be replaced.
        let meta = fs::metadata(path).ok()?;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        fs::canonicalize(path).ok().map(Identity::Canonical)
    }
}

/// The inputs read so far: each path as named, with its identity.
static INPUTS: Mutex<Vec<(PathBuf, Identity)>> = Mutex::new(Vec::new());

fn inputs() -> std::sync::MutexGuard<'static, Vec<(PathBuf, Identity)>> {
    INPUTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records `path` as an input of this process. A path that names nothing (yet) is not one.
pub fn note(path: &Path) {
    if let Some(id) = identity(path) {
        let mut all = inputs();
        if !all.iter().any(|(_, known)| *known == id) {
            all.push((path.to_path_buf(), id));
        }
    }
}

/// The input that writing `path` would replace, as it was named when read: `path` itself,
/// or a file it links to. `None` when `path` is not an input (or names nothing).
pub fn input_at(path: &Path) -> Option<PathBuf> {
    let id = identity(path)?;
    inputs()
        .iter()
        .find(|(_, known)| *known == id)
        .map(|(named, _)| named.clone())
}

/// Forgets `path` as an input, for the one file a command is asked to rewrite from what it
/// read (`check --baseline FILE --update-baseline`).
pub fn release(path: &Path) {
    if let Some(id) = identity(path) {
        inputs().retain(|(_, known)| *known != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_known_through_links_and_other_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.toml");
        fs::write(&file, "x").unwrap();
        assert_eq!(input_at(&file), None);
        note(&file);
        assert_eq!(input_at(&file), Some(file.clone()));
        let other = dir.path().join(".").join("s.toml");
        assert_eq!(input_at(&other), Some(file.clone()));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.toml");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert_eq!(input_at(&link), Some(file.clone()));
            let hard = dir.path().join("hard.toml");
            fs::hard_link(&file, &hard).unwrap();
            assert_eq!(input_at(&hard), Some(file.clone()));
        }
        assert_eq!(input_at(&dir.path().join("new.csv")), None);
        release(&file);
        assert_eq!(input_at(&file), None);
    }
}
