//! Arbitrary bytes as a backlog snapshot, checked against a scenario (see `fuzz/src/data.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    syncsim_fuzz::data::check_snapshot(data);
});
