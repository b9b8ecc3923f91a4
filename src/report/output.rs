//! Safe output: every file of a run is written to a temporary name in the destination folder
//! and the whole set is renamed into place only once all of it is written, so a reader never
//! sees half a file nor a mix of two runs; a folder's files are overwritten only if syncsim
//! wrote them (listed in its manifest) or the user said `--force`, and a file the user named
//! (`--junit results.xml`) only if it does not exist yet or with `--force`; no output ever
//! replaces an input of the same process ([`crate::data::inputs`]), whatever the flags; a
//! temporary file is created anew (never opened through a link someone planted there); one
//! run at a time writes into a folder (a lock on the folder, [`OutputDir::open`]); and a run
//! that fails, or is stopped by a signal ([`abandon`]), leaves no temporary file and no
//! folder it created.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::data::inputs;

/// The manifest that lists the files syncsim wrote into a folder.
pub const MANIFEST: &str = ".syncsim-files";

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file that syncsim did not write would be overwritten.
    #[error("'{}' exists and was not written by syncsim; choose another --out folder or pass --force to overwrite it", shown(.0))]
    WouldClobber(PathBuf),
    /// A file the user named for output exists already.
    #[error("'{}' exists; name another file, or pass --force to replace it", shown(.0))]
    FileExists(PathBuf),
    /// The output would replace a file this run reads.
    #[error("'{}' is an input of this command ('{}'); syncsim never writes over its own inputs, even with --force: name another file or folder for the output", shown(.target), shown(.input))]
    WouldReplaceInput {
        /// The output.
        target: PathBuf,
        /// The input it is, as named when read.
        input: PathBuf,
    },
    /// Another run is writing into the folder.
    #[error("'{}' is being written by another syncsim run; wait for it to end, or choose another --out folder", shown(.0))]
    Busy(PathBuf),
    /// The file system refused.
    #[error("cannot write '{}': {source}{hint}", shown(path))]
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

/// A path as a message shows it: control characters escaped, a long one shortened.
fn shown(path: &Path) -> String {
    crate::scenario::error::screen_text(&path.display().to_string(), 200)
}

/// Refuses to write `target` if it is an input of this process (through any link).
fn guard_input(target: &Path) -> Result<(), OutputError> {
    match inputs::input_at(target) {
        Some(input) => Err(OutputError::WouldReplaceInput {
            target: target.to_path_buf(),
            input,
        }),
        None => Ok(()),
    }
}

/// Whether anything is at `path`: a file, a folder, or a link, even one leading nowhere.
fn occupied(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Checks a file the user named for output before any work: it must not be an input of
/// this process, and must not exist unless `force` (a dangling link counts as existing).
pub fn check_user_file(path: &Path, force: bool) -> Result<(), OutputError> {
    guard_input(path)?;
    if !force && occupied(path) {
        return Err(OutputError::FileExists(path.to_path_buf()));
    }
    Ok(())
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
    /// Folders this run created, outermost first: removed again, if still empty, when the
    /// run ends without [`OutputDir::finish`].
    created: Vec<PathBuf>,
    /// Set once [`OutputDir::finish`] has put the reports in place.
    finished: bool,
    /// The folder, open and locked for this run; closing it releases the lock.
    _lock: Option<fs::File>,
}

impl OutputDir {
    /// Creates the folder if needed, locks it for this run and reads its manifest.
    ///
    /// The lock (an advisory `flock` on the folder itself, on Unix) keeps two runs from
    /// writing into one folder at once: a second run stops at once with
    /// [`OutputError::Busy`] rather than mixing its reports with the first's. It is held
    /// until this value is dropped, and the system releases it when the process ends, however
    /// it ends.
    pub fn open(dir: &Path, force: bool) -> Result<Self, OutputError> {
        // The folders about to be created, outermost first, so a failure or an interruption
        // can remove them.
        let mut missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !occupied(a))
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        {
            let mut p = pending();
            if p.interrupted {
                return Err(OutputError::Interrupted);
            }
            p.folders.extend(missing.iter().cloned());
            fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))?;
        }
        let mut out = OutputDir {
            dir: dir.to_path_buf(),
            force,
            ours: BTreeSet::new(),
            staged: Vec::new(),
            retired: Vec::new(),
            created: missing,
            finished: false,
            _lock: None,
        };
        // Dropped on an error from here on, `out` removes the folders it created, but for a
        // folder another run holds, which stays as it is.
        out._lock = match lock(dir) {
            Ok(handle) => handle,
            Err(e) => {
                if matches!(e, OutputError::Busy(_)) {
                    let created = std::mem::take(&mut out.created);
                    pending().folders.retain(|f| !created.contains(f));
                }
                return Err(e);
            }
        };
        // Read under the lock: the run before may have just rewritten it.
        out.ours = fs::read_to_string(dir.join(MANIFEST))
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default();
        Ok(out)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Fails if writing `names` would overwrite a file syncsim did not write. Call before any
    /// work, so a refused run costs nothing.
    pub fn check(&self, names: &[&str]) -> Result<(), OutputError> {
        for name in names {
            let path = self.dir.join(name);
            // Whatever the flags, an input of this run is never replaced.
            guard_input(&path)?;
            if self.force {
                continue;
            }
            let ours = self.ours.contains(*name) || self.staged.iter().any(|(w, _)| w == name);
            // A link counts even when it leads nowhere: replacing it is replacing a file.
            if *name != MANIFEST && occupied(&path) && !ours {
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
        let (tmp, file) = create_temp(&self.dir, name, &target)?;
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
            let renamed = guard_input(&target)
                .and_then(|()| fs::rename(&tmp, &target).map_err(|e| OutputError::io(&target, e)));
            if let Err(e) = renamed {
                drop(p);
                discard(&tmp);
                return Err(e);
            }
            p.temps.retain(|t| *t != tmp);
            if name != MANIFEST {
                written.push(name);
            }
        }
        for name in &stale {
            // A retired report that is now an input of this run stays.
            if inputs::input_at(&self.dir.join(name)).is_some() {
                continue;
            }
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
        self.finished = true;
        Ok(written)
    }
}

impl Drop for OutputDir {
    /// A run that fails before [`OutputDir::finish`] leaves no temporary file behind, and
    /// removes the folders it created if they are still empty.
    fn drop(&mut self) {
        for (_, tmp) in std::mem::take(&mut self.staged) {
            discard(&tmp);
        }
        if self.finished {
            return;
        }
        let mut p = pending();
        for folder in self.created.iter().rev() {
            // Fails, as it should, if anything else is in it.
            if fs::remove_dir(folder).is_ok() {
                p.folders.retain(|f| f != folder);
            }
        }
    }
}

/// Locks folder `dir` for this run (see [`OutputDir::open`]); `None` where folders cannot
/// be locked (other than on Unix).
fn lock(dir: &Path) -> Result<Option<fs::File>, OutputError> {
    #[cfg(unix)]
    {
        use rustix::fs::{flock, FlockOperation};
        use std::os::unix::fs::MetadataExt;
        let handle = fs::File::open(dir).map_err(|e| OutputError::io(dir, e))?;
        match flock(&handle, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => return Err(OutputError::Busy(dir.to_path_buf())),
            Err(e) => return Err(OutputError::io(dir, e.into())),
        }
        // A run that failed may have removed the folder between our open and our lock:
        // then the lock is on a folder that no longer has this name.
        let locked = handle.metadata().map_err(|e| OutputError::io(dir, e))?;
        match fs::metadata(dir) {
            Ok(now) if now.dev() == locked.dev() && now.ino() == locked.ino() => Ok(Some(handle)),
            _ => Err(OutputError::Busy(dir.to_path_buf())),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(None)
    }
}

/// Removes a temporary file and forgets it.
fn discard(tmp: &Path) {
    let mut p = pending();
    let _ = fs::remove_file(tmp);
    p.temps.retain(|t| t != tmp);
}

/// Tells apart the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Creates a new temporary file for `target` in `dir` (named `.<name>.tmp-<pid>-<n>`) and
/// lists it for the clean-up, under the lock so an interruption cannot miss it.
///
/// The file is created exclusively: if anything is at the name already (a file, or a link
/// someone planted to make a run write elsewhere), another name is tried, and nothing is
/// ever opened through a link.
fn create_temp(dir: &Path, name: &str, target: &Path) -> Result<(PathBuf, fs::File), OutputError> {
    let mut p = pending();
    if p.interrupted {
        return Err(OutputError::Interrupted);
    }
    let mut last = None;
    for _ in 0..100 {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => {
                p.temps.push(tmp.clone());
                return Ok((tmp, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(OutputError::io(target, e)),
        }
    }
    Err(OutputError::io(
        target,
        last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)),
    ))
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
    /// Creates the temporary file beside `path`, after [`check_user_file`]: `path` must not
    /// be an input of this process, nor exist unless `force`.
    pub fn create(path: &Path, force: bool) -> Result<Self, OutputError> {
        check_user_file(path, force)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (tmp, file) = create_temp(&dir, &name, path)?;
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
                guard_input(&self.path)?;
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
/// in the same folder, then a rename. An existing file is replaced only with `force`, and an
/// input of this process never.
pub fn write_file_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    let mut file = AtomicFile::create(path, force)?;
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
