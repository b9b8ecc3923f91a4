//! Same scenario + same seed => byte-identical outputs; another seed => other outputs.

use syncsim::engine::simulate;
use syncsim::report::{self, output::OutputDir};
use syncsim::scenario;

fn outputs(seed: u64) -> Vec<(String, Vec<u8>)> {
    let sc = scenario::load(
        std::path::Path::new("scenarios/reference.toml"),
        &["horizon=\"2d\"".into()],
    )
    .unwrap();
    let r = simulate(&sc, seed);
    let dir = tempfile::tempdir().unwrap();
    let mut out = OutputDir::open(dir.path(), false).unwrap();
    report::write_run(&sc, &r, &mut out).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = out
        .finish()
        .unwrap()
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.path().join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_seed_gives_identical_bytes() {
    let a = outputs(11);
    let b = outputs(11);
    assert_eq!(a.len(), report::CSV_FILES.len() + 1);
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
}

#[test]
fn another_seed_gives_another_run() {
    let a = outputs(11);
    let c = outputs(12);
    let backlog = |files: &[(String, Vec<u8>)]| {
        files
            .iter()
            .find(|(n, _)| n == "backlog.csv")
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(backlog(&a), backlog(&c));
}
