//! Arbitrary bytes as the admin page's per-object figures (see `fuzz/src/data.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    syncsim_fuzz::data::check_figures(data);
});
