//! Scenario validation: what is accepted, and what each refusal says.

use syncsim::load;
use syncsim::scenario::{self, Override, Scenario, ScenarioError};

const BASE: &str = "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = 100\n";

fn parse(text: &str, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<Override> = overrides.iter().map(|s| Override::set(s)).collect();
    scenario::from_str(text, "v.toml", "v", &overrides)
}

fn error(text: &str, overrides: &[&str]) -> String {
    parse(text, overrides)
        .expect_err("should be refused")
        .to_string()
}

#[test]
fn durations_accept_a_bare_zero_and_refuse_other_bare_numbers() {
    let sc = parse(&format!("{BASE}[sync]\nbatch_overhead = 0\n"), &[]).unwrap();
    assert_eq!(sc.sync.batch_overhead, 0);
    assert!(parse(BASE, &["sync.batch_overhead=0"]).is_ok());
    let e = error(&format!("{BASE}[sync]\ncycle_wait = 5\n"), &[]);
    assert!(e.contains("sync.cycle_wait: 5 has no unit"), "{e}");
}

#[test]
fn instants_may_be_native_toml_date_times() {
    let sc = parse(
        "start = 2026-11-23T00:00:00Z\n[objects.Lead]\nrecords = 1\n",
        &[],
    )
    .unwrap();
    assert_eq!(sc.start.to_string(), "2026-11-23T00:00:00Z");
}

#[test]
fn an_object_out_of_the_sync_may_be_enabled_by_one_event() {
    let text = format!(
        "{BASE}[objects.Custom]\nrecords = 5\nenabled = false\n[events.add]\nkind = \"enable_object\"\nat = \"1h\"\nobject = \"Custom\"\n"
    );
    assert!(parse(&text, &[]).is_ok());
    let twice = format!(
        "{text}[events.again]\nkind = \"enable_object\"\nat = \"2h\"\nobject = \"Custom\"\n"
    );
    assert!(error(&twice, &[]).contains("events.again.object: 'Custom' is enabled by two events"));
}

#[test]
fn back_to_back_outages_are_fine_and_overlapping_ones_are_not() {
    let back_to_back = format!(
        "{BASE}[events.a]\nkind = \"sync_disabled\"\nat = \"1h\"\nduration = \"1h\"\n[events.b]\nkind = \"sync_disabled\"\nat = \"2h\"\nduration = \"1h\"\n"
    );
    assert!(parse(&back_to_back, &[]).is_ok());
    let overlap = back_to_back.replace("at = \"2h\"", "at = \"90m\"");
    assert!(error(&overlap, &[])
        .contains("events.b: disables the sync at 90m while it is already disabled"));
    let stray = format!("{BASE}[events.on]\nkind = \"sync_enabled\"\nat = \"1h\"\n");
    assert!(error(&stray, &[]).contains("events.on: enables the sync at 1h but it is not disabled"));
}

#[test]
fn keys_of_another_record_choice_are_refused() {
    let e = error(
        &format!("{BASE}record_choice = \"hot_set\"\nzipf_exponent = 1.2\n"),
        &[],
    );
    assert!(
        e.contains("objects.Lead.zipf_exponent: applies only with record_choice = \"zipf\""),
        "{e}"
    );
    let e = error(
        &format!("{BASE}record_choice = \"zipf\"\nhot_share = 0.5\n"),
        &[],
    );
    assert!(
        e.contains("objects.Lead.hot_share: applies only with record_choice = \"hot_set\""),
        "{e}"
    );
}

#[test]
fn a_set_with_the_wrong_type_is_named() {
    let e = error(BASE, &["sync.workers=2", "objects.Lead.records=\"many\""]);
    assert!(
        e.contains("with --set objects.Lead.records=\"many\""),
        "{e}"
    );
    assert!(e.contains("objects.Lead.records"), "{e}");
}

#[test]
fn a_refused_flag_value_names_the_flag_as_typed() {
    let flags = |overrides: &[Override]| {
        scenario::from_str(BASE, "v.toml", "v", overrides)
            .unwrap_err()
            .to_string()
    };
    let e = flags(&[Override::seed(7), Override::horizon("forever")]);
    assert!(
        e.starts_with(
            "scenario 'v.toml with --horizon forever': horizon: 'forever' is not a duration"
        ),
        "{e}"
    );
    // A later --set of the same key is the one blamed.
    let e = flags(&[Override::horizon("1d"), Override::set("horizon=0")]);
    assert!(
        e.starts_with("scenario 'v.toml with --set horizon=0': horizon:"),
        "{e}"
    );
    let e = flags(&[Override::horizon("4h"), Override::set("sync.workers")]);
    assert!(
        e.starts_with("scenario 'v.toml with --set sync.workers': expected PATH=VALUE"),
        "{e}"
    );
}

#[test]
fn an_override_does_not_rescue_a_value_of_the_wrong_type_in_the_file() {
    // The file is checked as written, so the error points at its line and column.
    let text = "start = \"2026-11-23T00:00:00Z\"\n[objects.Lead]\nrecords = \"many\"\n";
    let e = error(text, &["objects.Lead.records=5"]);
    assert!(
        e.starts_with("scenario 'v.toml': line 3, column 11: "),
        "{e}"
    );
}

#[test]
fn object_names_must_be_plain_and_not_reserved() {
    let e = error(
        "start = \"2026-11-23T00:00:00Z\"\n[objects.total]\nrecords = 1\n",
        &[],
    );
    assert!(e.contains("'total' cannot name an object"), "{e}");
    let e = error(
        "start = \"2026-11-23T00:00:00Z\"\n[objects.\"Lead.x\"]\nrecords = 1\n",
        &[],
    );
    assert!(e.contains("cannot name an object"), "{e}");
}

#[test]
fn a_file_name_with_spaces_gives_a_usable_default_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my scen.toml");
    std::fs::write(&path, BASE).unwrap();
    assert_eq!(load::load(&path, &[]).unwrap().name, "my-scen");
}

#[test]
fn presets_fill_defaults_that_the_file_overrides_key_by_key() {
    let sf = parse(&format!("preset = \"salesforce\"\n{BASE}[objects.Contact]\nrecords = 1\n[objects.Account]\nrecords = 1\n"), &[]).unwrap();
    assert_eq!(sf.sync.policy.name(), "round_robin");
    assert_eq!(sf.sync.gates[1], Some(2), "Contact gated on Account");
    let over = parse(
        &format!("preset = \"salesforce\"\n{BASE}[sync]\npolicy = \"priority\"\nbatch_size = 50\n"),
        &[],
    )
    .unwrap();
    assert_eq!(over.sync.policy.name(), "priority");
    assert_eq!(over.sync.batch_size, 50);
    assert_eq!(over.sync.cycle_wait, 5 * syncsim::units::MINUTE);
    let dy = parse(&format!("preset = \"dynamics\"\n{BASE}"), &[]).unwrap();
    assert_eq!((dy.sync.policy.name(), dy.sync.workers), ("fifo", 1));
}

#[test]
fn gate_cycles_are_refused() {
    let e = error(
        "start = \"2026-11-23T00:00:00Z\"\n[objects.A]\nrecords = 1\n[objects.B]\nrecords = 1\n[sync]\ngates = { A = \"B\", B = \"A\" }\n",
        &[],
    );
    assert!(e.contains("sync.gates: the gates form a cycle"), "{e}");
}

#[test]
fn a_scenario_too_big_for_memory_is_refused_with_the_estimate() {
    // Valid as a scenario; the one memory check refuses it against the cap it is given.
    let sc = parse(
        "start = \"2026-11-23T00:00:00Z\"\n[objects.Big]\nrecords = 2_000_000_000\nsync = \"both\"\nedits_per_hour = 5e5\nmarketing_edits_per_hour = 5e5\n",
        &[],
    )
    .unwrap();
    let e = load::check_memory(&sc, 1, Some(8 << 30))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "scenario 'v.toml': a run would need about 12.2 GiB of memory (record index 3.0 GiB"
        ),
        "{e}"
    );
    assert!(e.contains("the cap is 8.0 GiB: use fewer records"), "{e}");
    assert!(load::check_memory(&sc, 1, Some(16 << 30)).is_ok());
    // Four at once need four times as much.
    let e = load::check_memory(&sc, 4, Some(16 << 30))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("about 48.7 GiB of memory (12.2 GiB per simulation x 4 at once; record index"),
        "{e}"
    );
    assert!(
        e.contains("run fewer simulations at once (--threads)"),
        "{e}"
    );
    // Every example scenario fits with room to spare: four runs at once under 2 GiB (the
    // 30x and 100x scale benchmarks aside: one run of each under 8 GiB).
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let sc = load::load(&path, &[]).unwrap();
            if crate::examples::is_scale_benchmark(&sc.name) {
                load::check_memory(&sc, 1, Some(8 << 30)).unwrap();
            } else {
                load::check_memory(&sc, 4, Some(2 << 30)).unwrap();
            }
        }
    }
}

#[test]
fn a_peak_rate_beyond_the_limit_is_refused() {
    let e = error(
        &format!("{BASE}edits_per_hour = 1e8\nweekend_factor = 100\n"),
        &[],
    );
    assert!(
        e.contains("objects.Lead.edits_per_hour: peaks at 10000000000 edits per hour"),
        "{e}"
    );
}

#[test]
fn a_refused_value_names_the_set_that_gave_it() {
    let e = error(BASE, &["sync.workers=2", "sync.batch_size=0"]);
    assert!(
        e.starts_with("scenario 'v.toml with --set sync.batch_size=0': sync.batch_size:"),
        "{e}"
    );
    let e = error(BASE, &["sync.gates={Lead=\"Lead\"}"]);
    assert!(
        e.contains("with --set sync.gates={Lead=\"Lead\"}': sync.gates.Lead:"),
        "{e}"
    );
    // A value from the file is not blamed on an unrelated --set.
    let e = error(
        &format!("{BASE}[sync]\nworkers = 0\n"),
        &["sync.batch_size=10"],
    );
    assert!(e.starts_with("scenario 'v.toml': sync.workers:"), "{e}");
    let e = error(BASE, &["a.b.c.d.e.f.g.h.i=1"]);
    assert!(e.contains("has 9 keys; a key path has at most 8"), "{e}");
}
