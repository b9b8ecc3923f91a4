//! Safe output of the real binary: an interrupted run leaves no partial or temporary file and
//! exits with 130; unwritable folders are reported clearly with exit code 3.

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

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_reported_with_exit_code_3() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // Root (as in many CI containers) writes anyway: nothing to test there.
    if fs::write(locked.join("probe"), "").is_ok() {
        eprintln!("skipped: permissions are not enforced for this user");
        return;
    }
    let out = Command::new(cargo_bin("syncsim"))
        .arg("run")
        .arg(reference())
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
