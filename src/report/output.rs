//! Safe output: every file is written to a temporary name in the destination folder and renamed
//! into place, so a reader never sees half a file; and a folder's files are overwritten only if
//! syncsim wrote them (listed in its manifest) or the user said `--force`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

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
}

impl OutputError {
    /// An I/O failure on `path`, with a hint for the common causes.
    pub fn io(path: &Path, source: io::Error) -> Self {
        let hint = match source.kind() {
            io::ErrorKind::PermissionDenied => {
                " (permission denied: choose a folder you can write with --out)"
            }
            io::ErrorKind::StorageFull => {
                " (the disk is full: free space or choose another --out folder)"
            }
            io::ErrorKind::ReadOnlyFilesystem => {
                " (the file system is read-only: choose another --out folder)"
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

/// A destination folder, checked once, into which files are written atomically.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    force: bool,
    /// Files syncsim wrote here before (from the manifest).
    ours: BTreeSet<String>,
    /// Files written in this run.
    written: Vec<String>,
}

impl OutputDir {
    /// Creates the folder if needed and reads its manifest.
    pub fn open(dir: &Path, force: bool) -> Result<Self, OutputError> {
        fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))?;
        let ours = fs::read_to_string(dir.join(MANIFEST))
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default();
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            force,
            ours,
            written: Vec::new(),
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
            let ours = self.ours.contains(*name) || self.written.iter().any(|w| w == name);
            if *name != MANIFEST && path.exists() && !ours {
                return Err(OutputError::WouldClobber(path));
            }
        }
        Ok(())
    }

    /// Writes file `name` through `write`, atomically.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        self.check(&[name])?;
        let target = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let result = (|| {
            let file = fs::File::create(&tmp)?;
            let mut w = BufWriter::new(file);
            write(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            fs::rename(&tmp, &target)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(OutputError::io(&target, e));
        }
        self.written.push(name.to_string());
        Ok(())
    }

    /// Records the files written in the manifest; returns their names.
    pub fn finish(mut self) -> Result<Vec<String>, OutputError> {
        let mut all = self.ours.clone();
        all.extend(self.written.iter().cloned());
        let text: String = all.iter().map(|n| format!("{n}\n")).collect();
        let written = std::mem::take(&mut self.written);
        self.write(MANIFEST, |w| w.write_all(text.as_bytes()))?;
        Ok(written)
    }
}

/// A file the user named, written under a temporary name and renamed into place by
/// [`AtomicFile::commit`]; dropped uncommitted, it leaves nothing behind.
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
        let file = fs::File::create(&tmp).map_err(|e| OutputError::io(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let writer = self.writer.take().expect("committed once");
        let result = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .and_then(|_| fs::rename(&self.tmp, &self.path));
        result.map_err(|e| {
            let _ = fs::remove_file(&self.tmp);
            OutputError::io(&self.path, e)
        })
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.tmp);
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
        assert_eq!(
            fs::read_to_string(dir.path().join("latency.csv")).unwrap(),
            "b"
        );
        // --force overwrites anything.
        let mut forced = OutputDir::open(dir.path(), true).unwrap();
        forced.write("backlog.csv", |w| w.write_all(b"y")).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("backlog.csv")).unwrap(),
            "y"
        );
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
}
