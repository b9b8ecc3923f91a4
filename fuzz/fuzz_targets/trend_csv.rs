//! Arbitrary bytes as the admin page's backlog trend, compared with a run (see `fuzz/src/data.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    syncsim_fuzz::data::check_trend(data);
});
