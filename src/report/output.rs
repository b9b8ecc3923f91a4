//! Safe output: every file of a run is written to a temporary name in the destination folder
//! and the whole set is renamed into place only once all of it is written, so a reader never
//! sees half a file nor a mix of two runs; a folder's files are overwritten only if syncsim
//! wrote them (listed in its manifest) or the user said `--force`; and a run stopped by
//! Ctrl-C ([`abandon`]) leaves no temporary file and no folder it created.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The manifest that lists the files syncsim wrote into a folder.
pub const MANIFEST: &str = ".syncsim-files";

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file that syncsim did not write would be overwritten.
    #[error("'{0}' exists and was not written by syncsim; choose another --out folder or pass --force to overwrite it")]
    WouldClobber(PathBuf),
    /// The file system refused.
    #[error("cannot write '{path}': {source}{hint}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: io::Error,
        /// A hint for common causes (disk full, permissions).
        hint: &'static str,
    },
    /// The run is being interrupted; nothing more is written.
    #[error("interrupted")]
    Interrupted,
}

impl OutputError {
    /// An I/O failure on `path`, with a hint for the common causes.
    pub fn io(path: &Path, source: io::Error) -> Self {
        let hint = match source.kind() {
            io::ErrorKind::PermissionDenied => {
                " (permission denied: choose a folder you can write with --out)"
            }
            io::ErrorKind::StorageFull => {
                " (the disk is full: free space or choose another --out folder; no report \
                 was changed)"
            }
            io::ErrorKind::QuotaExceeded => {
                " (the disk quota is used up: free space or choose another --out folder; no \
                 report was changed)"
            }
            io::ErrorKind::ReadOnlyFilesystem => {
                " (the file system is read-only: choose another --out folder)"
            }
            io::ErrorKind::NotADirectory => {
                " (part of the path is a file, not a folder: choose another --out folder)"
            }
            _ => "",
        };
        OutputError::Io {
            path: path.to_path_buf(),
            source,
            hint,
        }
    }
}

/// What an interruption must clean up: shared by every [`OutputDir`] of the process and by
/// the Ctrl-C handler, which takes the lock, removes what is listed and exits while holding
/// it, so nothing is created or renamed after it looked.
#[derive(Debug, Default)]
struct Pending {
    /// Set by [`abandon`]: no file may be created or renamed any more.
    interrupted: bool,
    /// Temporary files that exist now.
    temps: Vec<PathBuf>,
    /// Folders created by this process that hold no report yet, deepest last.
    folders: Vec<PathBuf>,
    /// A set of reports was renamed into place.
    finished: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    interrupted: false,
    temps: Vec::new(),
    folders: Vec::new(),
    finished: false,
});

fn pending() -> MutexGuard<'static, Pending> {
    // A panic while holding the lock leaves the lists as valid as before it.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stops all output for good: removes every temporary file and every still-empty folder
/// this process created and returns whether a set of reports had been put in place. For a
/// signal handler, which then exits; from this call on no file is created or renamed (every
/// such step checks under the same lock), so nothing appears after the clean-up looked.
///
/// If a run is renaming its reports into place, this waits until it is done: the folder then
/// holds the complete new set, never a mix of two runs.
pub fn abandon() -> bool {
    let mut p = pending();
    p.interrupted = true;
    for tmp in std::mem::take(&mut p.temps) {
        let _ = fs::remove_file(tmp);
    }
    for folder in std::mem::take(&mut p.folders).iter().rev() {
        // Fails, as it should, if anything else is in it.
        let _ = fs::remove_dir(folder);
    }
    p.finished
}

/// The folder name of a what-if under its scenario's default output folder: the overrides as
/// the user typed them (`--set sync.workers=2`, `--seed 7`), shortened to `sync.workers=2`
/// and `seed=7` and joined by `,`, so a run with overrides never replaces its baseline's
/// reports (`output/<name>/sync.workers=2/`). `None` without overrides. Characters a folder
/// name should not hold become `_`; a name that had to change that way, or that is longer than
/// 80 characters, ends in a short hash of the full text, so two different what-ifs never
/// share a folder.
pub fn variant_folder(overrides: &[String]) -> Option<String> {
    if overrides.is_empty() {
        return None;
    }
    let parts: Vec<String> = overrides
        .iter()
        .map(|o| {
            let o = o.trim();
            if let Some(set) = o.strip_prefix("--set ") {
                set.trim().to_string()
            } else if let Some(flag) = o.strip_prefix("--") {
                flag.replacen(' ', "=", 1)
            } else {
                o.to_string()
            }
        })
        .collect();
    let full = parts.join(",");
    let safe: String = full
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._=,+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe == full && safe.len() <= 80 {
        return Some(safe);
    }
    let hash = crate::scenario::sha256_hex(full.as_bytes());
    let head: String = safe.chars().take(60).collect();
    Some(format!("{head}-{}", &hash[..12]))
}

/// A destination folder, checked once, into which a set of files is written atomically.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    force: bool,
    /// Files syncsim wrote here before (from the manifest).
    ours: BTreeSet<String>,
    /// Files written in this run, under their temporary names until [`OutputDir::finish`].
    staged: Vec<(String, PathBuf)>,
    /// Files of this kind of output that this run does not write: removed at
    /// [`OutputDir::finish`] if syncsim wrote them before, so no report of an earlier run stays.
    retired: Vec<String>,
}

impl OutputDir {
    /// Creates the folder if needed and reads its manifest.
    pub fn open(dir: &Path, force: bool) -> Result<Self, OutputError> {
        // The folders about to be created, outermost first, so an interruption can remove them.
        let mut missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        {
            let mut p = pending();
            if p.interrupted {
                return Err(OutputError::Interrupted);
            }
            p.folders.extend(missing);
            fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))?;
        }
        let ours = fs::read_to_string(dir.join(MANIFEST))
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default();
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            force,
            ours,
            staged: Vec::new(),
            retired: Vec::new(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Fails if writing `names` would overwrite a file syncsim did not write. Call before any
    /// work, so a refused run costs nothing.
    pub fn check(&self, names: &[&str]) -> Result<(), OutputError> {
        if self.force {
            return Ok(());
        }
        for name in names {
            let path = self.dir.join(name);
            let ours = self.ours.contains(*name) || self.staged.iter().any(|(w, _)| w == name);
            if *name != MANIFEST && path.exists() && !ours {
                return Err(OutputError::WouldClobber(path));
            }
        }
        Ok(())
    }

    /// Writes file `name` through `write` under a temporary name; [`OutputDir::finish`] puts it
    /// in place with the others.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        self.check(&[name])?;
        // Writing a name again in one run replaces what was staged for it.
        if let Some(i) = self.staged.iter().position(|(n, _)| n == name) {
            let (_, tmp) = self.staged.remove(i);
            discard(&tmp);
        }
        let tmp = self.write_temp(name, write)?;
        self.staged.push((name.to_string(), tmp));
        Ok(())
    }

    fn write_temp(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<PathBuf, OutputError> {
        let target = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = create_temp(&tmp, &target)?;
        let result = (|| {
            let mut w = BufWriter::new(file);
            write(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
        })();
        if let Err(e) = result {
            discard(&tmp);
            return Err(OutputError::io(&target, e));
        }
        Ok(tmp)
    }

    /// Marks `names` as files this output owns but does not write this time (the other
    /// formats of a run, say): [`OutputDir::finish`] removes those syncsim wrote here before,
    /// and leaves any other file of that name alone.
    pub fn retire(&mut self, names: &[String]) {
        self.retired.extend(
            names
                .iter()
                .filter(|n| !self.staged.iter().any(|(s, _)| s == *n))
                .cloned(),
        );
    }

    /// Renames every written file into place, removes the retired files syncsim wrote before,
    /// and records the folder's files in the manifest; returns the names written. An
    /// interruption waits for this to end, so the folder holds either the old set of reports
    /// or the whole new one.
    pub fn finish(mut self) -> Result<Vec<String>, OutputError> {
        let stale: Vec<String> = self
            .retired
            .iter()
            .filter(|n| self.ours.contains(*n))
            .cloned()
            .collect();
        let mut all = self.ours.clone();
        for name in &stale {
            all.remove(name);
        }
        all.extend(self.staged.iter().map(|(n, _)| n.clone()));
        let text: String = all.iter().map(|n| format!("{n}\n")).collect();
        let manifest = self.write_temp(MANIFEST, |w| w.write_all(text.as_bytes()))?;
        self.staged.push((MANIFEST.to_string(), manifest));
        let mut p = pending();
        if p.interrupted {
            return Err(OutputError::Interrupted);
        }
        let mut written = Vec::new();
        for (name, tmp) in std::mem::take(&mut self.staged) {
            let target = self.dir.join(&name);
            if let Err(e) = fs::rename(&tmp, &target) {
                drop(p);
                discard(&tmp);
                return Err(OutputError::io(&target, e));
            }
            p.temps.retain(|t| *t != tmp);
            if name != MANIFEST {
                written.push(name);
            }
        }
        for name in &stale {
            match fs::remove_file(self.dir.join(name)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(OutputError::io(&self.dir.join(name), e));
                }
                _ => {}
            }
        }
        // The folder holds reports now: an interruption must leave it.
        p.folders.retain(|f| !self.dir.starts_with(f));
        p.finished = true;
        Ok(written)
    }
}

impl Drop for OutputDir {
    /// A run that fails before [`OutputDir::finish`] leaves no temporary file behind.
    fn drop(&mut self) {
        for (_, tmp) in std::mem::take(&mut self.staged) {
            discard(&tmp);
        }
    }
}

/// Removes a temporary file and forgets it.
fn discard(tmp: &Path) {
    let mut p = pending();
    let _ = fs::remove_file(tmp);
    p.temps.retain(|t| t != tmp);
}

/// Creates temporary file `tmp` for `target` and lists it for the Ctrl-C clean-up, under the
/// lock so an interruption cannot miss it.
fn create_temp(tmp: &Path, target: &Path) -> Result<fs::File, OutputError> {
    let mut p = pending();
    if p.interrupted {
        return Err(OutputError::Interrupted);
    }
    let file = fs::File::create(tmp).map_err(|e| OutputError::io(target, e))?;
    p.temps.push(tmp.to_path_buf());
    Ok(file)
}

/// A file the user named (`--junit results.xml`, `--export-edits edits.csv`), written under a
/// temporary name and renamed into place by [`AtomicFile::commit`]; dropped uncommitted or
/// interrupted, it leaves nothing behind.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    /// The buffered temporary file.
    pub writer: Option<BufWriter<fs::File>>,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
    pub fn create(path: &Path) -> Result<Self, OutputError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = create_temp(&tmp, path)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let writer = self.writer.take().expect("committed once");
        let flushed = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all());
        let renamed = flushed
            .map_err(|e| OutputError::io(&self.path, e))
            .and_then(|_| {
                let mut p = pending();
                if p.interrupted {
                    return Err(OutputError::Interrupted);
                }
                fs::rename(&self.tmp, &self.path).map_err(|e| OutputError::io(&self.path, e))?;
                p.temps.retain(|t| *t != self.tmp);
                Ok(())
            });
        if renamed.is_err() {
            discard(&self.tmp);
        }
        renamed
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            discard(&self.tmp);
        }
    }
}

/// Writes one file the user named (e.g. `--junit results.xml`) atomically: a temporary name
/// in the same folder, then a rename. Naming the file is consent to replace it.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut file = AtomicFile::create(path)?;
    file.writer
        .as_mut()
        .expect("a fresh file has its writer")
        .write_all(bytes)
        .map_err(|e| OutputError::io(path, e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_clobber_a_foreign_file_and_overwrites_its_own() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("backlog.csv"), "mine").unwrap();
        let mut out = OutputDir::open(dir.path(), false).unwrap();
        assert!(matches!(
            out.check(&["backlog.csv"]),
            Err(OutputError::WouldClobber(_))
        ));
        assert!(out.write("backlog.csv", |w| w.write_all(b"x")).is_err());
        assert_eq!(
            fs::read_to_string(dir.path().join("backlog.csv")).unwrap(),
            "mine"
        );
        out.write("latency.csv", |w| w.write_all(b"a")).unwrap();
        out.finish().unwrap();
        // Second run: its own file may be replaced.
        let mut again = OutputDir::open(dir.path(), false).unwrap();
        again.write("latency.csv", |w| w.write_all(b"b")).unwrap();
        again.finish().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("latency.csv")).unwrap(),
            "b"
        );
        // --force overwrites anything.
        let mut forced = OutputDir::open(dir.path(), true).unwrap();
        forced.write("backlog.csv", |w| w.write_all(b"y")).unwrap();
        forced.finish().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("backlog.csv")).unwrap(),
            "y"
        );
    }

    #[test]
    fn what_ifs_get_folders_of_their_own() {
        assert_eq!(variant_folder(&[]), None);
        assert_eq!(
            variant_folder(&["--set sync.workers=2".into(), "--seed 7".into()]).as_deref(),
            Some("sync.workers=2,seed=7")
        );
        assert_eq!(
            variant_folder(&["--horizon 3d".into()]).as_deref(),
            Some("horizon=3d")
        );
        // Characters a folder should not hold are replaced, and a hash keeps apart what the
        // replacement would merge.
        let a = variant_folder(&["--set sync.order=[\"Lead\", \"Contact\"]".into()]).unwrap();
        let b = variant_folder(&["--set sync.order=[\"Lead\",_\"Contact\"]".into()]).unwrap();
        assert!(a.starts_with("sync.order=__Lead_,") && a != b, "{a} {b}");
        assert!(!a.contains('/') && !a.contains('"'));
        let long = variant_folder(&[format!("--set description={}", "x".repeat(200))]).unwrap();
        assert!(long.len() <= 80, "{long}");
        assert!(variant_folder(&["--set ../../etc=1".into()])
            .unwrap()
            .find('/')
            .is_none());
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = OutputDir::open(dir.path(), false).unwrap();
        let err = out.write("half.csv", |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("stopped"))
        });
        assert!(err.is_err());
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn files_appear_together_at_finish_and_not_at_all_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = OutputDir::open(dir.path(), false).unwrap();
        out.write("a.csv", |w| w.write_all(b"1")).unwrap();
        out.write("b.csv", |w| w.write_all(b"2")).unwrap();
        assert!(!dir.path().join("a.csv").exists(), "renamed before finish");
        assert_eq!(out.finish().unwrap(), ["a.csv", "b.csv"]);
        assert_eq!(fs::read_to_string(dir.path().join("b.csv")).unwrap(), "2");
        // A run that fails before finish changes nothing and leaves no temporary file.
        let mut failed = OutputDir::open(dir.path(), false).unwrap();
        failed.write("a.csv", |w| w.write_all(b"new")).unwrap();
        drop(failed);
        assert_eq!(fs::read_to_string(dir.path().join("a.csv")).unwrap(), "1");
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [MANIFEST, "a.csv", "b.csv"]);
    }

    #[test]
    fn a_full_disk_is_named_with_what_to_do() {
        let e = OutputError::io(
            Path::new("out/backlog.csv"),
            io::Error::from(io::ErrorKind::StorageFull),
        );
        assert_eq!(
            e.to_string(),
            "cannot write 'out/backlog.csv': no storage space (the disk is full: free space or \
             choose another --out folder; no report was changed)"
        );
    }
}
