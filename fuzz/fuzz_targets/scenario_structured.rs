//! Structured scenarios (mostly valid, sometimes just out of range) rendered to TOML: drives
//! the engine through every policy, gate and event kind.
#![no_main]

libfuzzer_sys::fuzz_target!(|spec: syncsim_fuzz::Spec| {
    syncsim_fuzz::check_text(&spec.to_toml());
});
