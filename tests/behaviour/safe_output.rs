//! Safe output of the real binary: a run stopped by a signal leaves no partial or temporary
//! file and exits with 128 + the signal; unwritable folders are reported clearly with exit
//! code 3; links planted in the output folder are never written through; a failed run removes
//! the folders it created; two runs never write into one folder at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference.toml")
}

/// A run that takes seconds: the reference scenario over 120 days.
fn slow_run(out: &Path) -> Child {
    Command::new(cargo_bin("syncsim"))
        .arg("run")
        .arg(reference())
        .args(["--horizon", "120d", "--quiet", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends SIGINT, as Ctrl-C in a terminal does, and returns the exit code and stderr.
#[cfg(unix)]
fn interrupt(child: Child) -> (Option<i32>, String) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                found.extend(files(&p));
            } else {
                found.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_nothing_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new").join("reports");
    let child = slow_run(&out);
    // The folder appears once the scenario is loaded: the run is then simulating.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !out.exists() {
        assert!(
            Instant::now() < deadline,
            "the run never created its folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The folders it created are gone again, and nothing else was written.
    assert!(!dir.path().join("new").exists(), "{:?}", files(dir.path()));
    assert_eq!(files(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_the_previous_reports_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    Command::new(cargo_bin("syncsim"))
        .arg("run")
        .arg(reference())
        .args(["--horizon", "2d", "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    let before: Vec<(String, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), fs::read(out.join(&f)).unwrap()))
        .collect();
    // The CSV files, summary.json, the charts, dashboard.html and the manifest.
    assert_eq!(before.len(), 24, "{:?}", files(&out));
    let child = slow_run(&out);
    std::thread::sleep(Duration::from_millis(500));
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(130), "{stderr}");
    let after: Vec<(String, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), fs::read(out.join(&f)).unwrap()))
        .collect();
    assert!(before == after, "the folder changed: {:?}", files(&out));
}

#[test]
fn a_path_through_a_file_is_reported_with_exit_code_3() {
    // Fails for every user, root included.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    fs::write(&file, "not a folder").unwrap();
    let out = Command::new(cargo_bin("syncsim"))
        .arg("run")
        .arg(reference())
        .args(["--horizon", "2d", "--out"])
        .arg(file.join("reports"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.starts_with("error: cannot write '"), "{stderr}");
    assert!(
        stderr.contains("part of the path is a file, not a folder"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
}

/// A copy of the binary and the reference scenario in a folder anyone may read, for runs as
/// another user.
#[cfg(unix)]
fn shared_copy(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.join("syncsim");
    fs::copy(cargo_bin("syncsim"), &bin).unwrap();
    let scenario = dir.join("reference.toml");
    fs::copy(reference(), &scenario).unwrap();
    for f in [&bin, &scenario] {
        fs::set_permissions(f, fs::Permissions::from_mode(0o755)).unwrap();
    }
    (bin, scenario)
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_reported_with_exit_code_3() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes through permission bits: as root (as in CI), the run is made as the
    // unprivileged user `nobody` with setpriv, so the bits hold for it too.
    let as_root = fs::write(locked.join("probe"), "").is_ok();
    let _ = fs::remove_file(locked.join("probe"));
    let mut command = if as_root {
        let has_setpriv = Command::new("setpriv")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_setpriv {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root: this test needs setpriv (util-linux) to run as another user"
            );
            eprintln!("skipped: root, and no setpriv to run as another user");
            return;
        }
        let (bin, scenario) = shared_copy(dir.path());
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin)
            .arg("run")
            .arg(scenario);
        c
    } else {
        let mut c = Command::new(cargo_bin("syncsim"));
        c.arg("run").arg(reference());
        c
    };
    let out = command
        .args(["--horizon", "2d", "--out"])
        .arg(&locked)
        .output()
        .unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("(permission denied: choose a folder you can write with --out)"),
        "{stderr}"
    );
    assert_eq!(files(&locked), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn a_link_planted_at_a_temporary_name_is_never_written_through() {
    // Someone who can write into the output folder plants links at the names a run's
    // temporary files would take, pointing at a file outside it. The run must create its
    // temporary files anew and leave that file alone.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let child = slow_run(&out);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !out.exists() {
        assert!(
            Instant::now() < deadline,
            "the run never created its folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    for name in ["backlog.csv", "summary.json", ".syncsim-files"] {
        std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.tmp-{pid}"))).unwrap();
        for n in 0..40 {
            std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.tmp-{pid}-{n}")))
                .unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(fs::read_to_string(out.join("backlog.csv"))
        .unwrap()
        .starts_with("time_utc,"));
    assert!(!fs::symlink_metadata(out.join("backlog.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_dangling_link_named_like_a_report_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    fs::create_dir(&out).unwrap();
    let link = out.join("backlog.csv");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    #[cfg(not(unix))]
    fs::write(&link, "").unwrap();
    let run = |force: bool| {
        let mut c = Command::new(cargo_bin("syncsim"));
        c.arg("run")
            .arg(reference())
            .args(["--horizon", "2d", "--format", "csv", "--quiet", "--out"])
            .arg(&out);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let refused = run(false);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("backlog.csv' exists and was not written by syncsim"),
        "{stderr}"
    );
    assert!(fs::symlink_metadata(&link).is_ok());
    assert!(!dir.path().join("nowhere").exists());
    let forced = run(true);
    assert!(forced.status.success());
    // The link itself was replaced by the report; nothing was written where it pointed.
    assert!(!dir.path().join("nowhere").exists());
    assert!(fs::read_to_string(&link).unwrap().starts_with("time_utc,"));
}

#[test]
fn a_run_that_fails_removes_the_folders_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("edits.csv");
    fs::write(&existing, "mine").unwrap();
    // The export file exists: the run stops after creating its report folders.
    let out = Command::new(cargo_bin("syncsim"))
        .arg("run")
        .arg(reference())
        .args(["--horizon", "2d", "--out"])
        .arg(dir.path().join("new").join("reports"))
        .arg("--export-edits")
        .arg(&existing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("edits.csv' exists; name another file, or pass --force"),
        "{stderr}"
    );
    assert_eq!(files(dir.path()), ["edits.csv"]);
    assert!(!dir.path().join("new").exists());
    assert_eq!(fs::read_to_string(&existing).unwrap(), "mine");
}

/// Whether some process holds a `flock` on `path` (from `/proc/locks`).
#[cfg(target_os = "linux")]
fn locked(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    let inode = format!(":{}", meta.ino());
    fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .any(|l| l.contains("FLOCK") && l.split_whitespace().any(|w| w.ends_with(&inode)))
}

#[cfg(target_os = "linux")]
#[test]
fn a_second_run_into_a_folder_in_use_stops_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let first = slow_run(&out);
    // The marker: the first run holds the folder's lock.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !locked(&out) {
        assert!(
            Instant::now() < deadline,
            "the first run never locked its folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = Command::new(cargo_bin("syncsim"))
        .arg("run")
        .arg(reference())
        .args(["--horizon", "2d", "--seed", "9", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: '{}' is being written by another syncsim run; wait for it to end, or \
             choose another --out folder\n",
            out.display()
        )
    );
    // The first run goes on undisturbed; stop it (SIGTERM) and nothing of either is left.
    let (code, stderr) = signal(first, "TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert!(!out.exists(), "{:?}", files(dir.path()));
}

/// Sends `signal` (`INT`, `TERM`, `HUP`) and returns the exit code and stderr.
#[cfg(unix)]
fn signal(child: Child, signal: &str) -> (Option<i32>, String) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn sigterm_and_sighup_clean_up_like_ctrl_c_with_codes_of_their_own() {
    for (sig, code, said) in [
        (
            "TERM",
            143,
            "error: terminated (SIGTERM); no report was written and no temporary file is left",
        ),
        (
            "HUP",
            129,
            "error: hung up (SIGHUP); no report was written and no temporary file is left",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new").join("reports");
        let child = slow_run(&out);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !out.exists() {
            assert!(
                Instant::now() < deadline,
                "the run never created its folder"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let (got, stderr) = signal(child, sig);
        assert_eq!(got, Some(code), "{sig}: {stderr}");
        assert_eq!(stderr.trim_end(), said);
        // No hidden temporary file, no folder the run created.
        assert_eq!(files(dir.path()), Vec::<String>::new(), "{sig}");
        assert!(!dir.path().join("new").exists(), "{sig}");
    }
}
