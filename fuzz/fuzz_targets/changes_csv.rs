//! Arbitrary bytes as a change log, read as `replay` reads it and as `fit` does (see
//! `fuzz/src/data.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    syncsim_fuzz::data::check_changes(data);
    syncsim_fuzz::data::check_fit(data);
});
