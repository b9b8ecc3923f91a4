//! Arbitrary bytes as a scenario file: parse, validate, and run what is valid (briefly).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    syncsim_fuzz::check_bytes(data);
});
