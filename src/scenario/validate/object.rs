//! Validation of one `[objects.<Name>]` table: its name, records, directions, edit rates and
//! their profiles, how edits pick records, filter and error fractions, initial backlog, and
//! (once the sync and API are known) its batch size and records per call.

use indexmap::IndexMap;

use super::{profile, Checker, Expect, MAX_RATE_PER_HOUR};
use crate::scenario::limits::BATCH_SIZE;
use crate::scenario::raw::RawObject;
use crate::scenario::{
    defaults, ApiSpec, Direction, InitialBacklog, ObjectSpec, RecordChoice, ScenarioError,
    SyncSpec, MAX_RECORDS,
};

/// Words reports use as column names, so no object may take them.
const RESERVED_NAMES: [&str; 5] = ["total", "to_marketing", "to_crm", "both", "all"];

/// Validates the object called `name`.
pub(super) fn validate_object(
    c: &Checker,
    name: &str,
    o: &RawObject,
) -> Result<ObjectSpec, ScenarioError> {
    let key = |k: &str| format!("objects.{name}.{k}");
    // Names become CSV columns, metric names and `--set` paths: keep them plain and distinct
    // from the column names reports use for totals and directions.
    let plain = name.len() <= 64
        && name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
    if !plain || RESERVED_NAMES.contains(&name) {
        return c.fail(
            format!("objects.{name}"),
            format!(
                "'{name}' cannot name an object: use 1-64 letters, digits, '_' or '-', starting \
                 with a letter, and none of {}",
                RESERVED_NAMES.join(", ")
            ),
        );
    }
    let records = match o.records {
        None => {
            return c.fail(
                key("records"),
                "is required: how many records the object has",
            )
        }
        Some(r) => c.int_in(&key("records"), r, 1, MAX_RECORDS as i64)? as u32,
    };
    let syncs = match o.sync.as_deref().unwrap_or("to_marketing") {
        "to_marketing" => [true, false],
        "to_crm" => [false, true],
        "both" => [true, true],
        other => {
            return c.fail(
                key("sync"),
                format!("unknown direction '{other}'; allowed: to_marketing, to_crm, both"),
            )
        }
    };
    let mut edits_per_hour = [0.0; 2];
    for (dir, field, value) in [
        (Direction::ToMarketing, "edits_per_hour", o.edits_per_hour),
        (
            Direction::ToCrm,
            "marketing_edits_per_hour",
            o.marketing_edits_per_hour,
        ),
    ] {
        let rate = c.non_negative(&key(field), value.unwrap_or(0.0), MAX_RATE_PER_HOUR)?;
        if rate > 0.0 && !syncs[dir as usize] {
            return c.fail(
                key(field),
                format!(
                    "is {rate} but the object does not sync {}; set `sync = \"{}\"` or \"both\"",
                    dir.name(),
                    dir.name()
                ),
            );
        }
        edits_per_hour[dir as usize] = rate;
    }
    let hour_profile = match &o.hour_profile {
        None => None,
        Some(p) => Some(profile(c, &key("hour_profile"), p)?),
    };
    let weekend_factor =
        c.non_negative(&key("weekend_factor"), o.weekend_factor.unwrap_or(1.0), 1e6)?;
    let holiday_factor = c.non_negative(
        &key("holiday_factor"),
        o.holiday_factor.unwrap_or(weekend_factor),
        1e6,
    )?;
    // The multipliers apply on top of the rate: its peak must respect the same bound.
    let peak_factor = hour_profile.map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
        * weekend_factor.max(holiday_factor).max(1.0);
    for (dir, field) in [
        (Direction::ToMarketing, "edits_per_hour"),
        (Direction::ToCrm, "marketing_edits_per_hour"),
    ] {
        let peak = edits_per_hour[dir as usize] * peak_factor;
        if peak > MAX_RATE_PER_HOUR {
            return c.fail(
                key(field),
                format!(
                    "peaks at {peak} edits per hour once hour_profile and weekend_factor (or \
                     holiday_factor) multiply it; the peak may be at most {MAX_RATE_PER_HOUR}"
                ),
            );
        }
    }
    let record_choice = match o.record_choice.as_deref().unwrap_or("uniform") {
        "uniform" => {
            for (field, v) in [
                ("hot_fraction", o.hot_fraction),
                ("hot_share", o.hot_share),
                ("zipf_exponent", o.zipf_exponent),
            ] {
                if v.is_some() {
                    return c.fail(
                        key(field),
                        "applies only with record_choice = \"hot_set\" or \"zipf\"",
                    );
                }
            }
            RecordChoice::Uniform
        }
        "hot_set" => {
            if o.zipf_exponent.is_some() {
                return c.fail(
                    key("zipf_exponent"),
                    "applies only with record_choice = \"zipf\"",
                );
            }
            let fraction = o.hot_fraction.unwrap_or(0.01);
            if !(fraction > 0.0 && fraction < 1.0) {
                return c.fail(
                    key("hot_fraction"),
                    format!("must be a fraction strictly between 0 and 1 (got {fraction})"),
                );
            }
            if ((records as f64) * fraction).floor() < 1.0 {
                return c.fail(
                    key("hot_fraction"),
                    format!(
                        "gives an empty hot set for {records} records; use at least {} so \
                         the hot set holds one record",
                        1.0 / records as f64
                    ),
                );
            }
            let share = c.fraction(&key("hot_share"), o.hot_share.unwrap_or(0.9))?;
            RecordChoice::HotSet { fraction, share }
        }
        "zipf" => {
            for (field, v) in [("hot_fraction", o.hot_fraction), ("hot_share", o.hot_share)] {
                if v.is_some() {
                    return c.fail(key(field), "applies only with record_choice = \"hot_set\"");
                }
            }
            let exponent = o.zipf_exponent.unwrap_or(1.0);
            if !(exponent > 0.0 && exponent <= 10.0) {
                return c.fail(
                    key("zipf_exponent"),
                    format!("must be in (0, 10] (got {exponent})"),
                );
            }
            RecordChoice::Zipf { exponent }
        }
        other => {
            return c.fail(
                key("record_choice"),
                format!("unknown choice '{other}'; allowed: uniform, hot_set, zipf"),
            )
        }
    };
    Ok(ObjectSpec {
        name: name.to_string(),
        records,
        syncs,
        edits_per_hour,
        hour_profile,
        weekend_factor,
        holiday_factor,
        record_choice,
        synced_fraction: c.fraction(&key("synced_fraction"), o.synced_fraction.unwrap_or(1.0))?,
        filter_pass: c.fraction(&key("filter_pass"), o.filter_pass.unwrap_or(1.0))?,
        enabled: o.enabled.unwrap_or(true),
        initial_backlog: match o.initial_backlog {
            None => {
                if o.initial_backlog_age.is_some() {
                    return c.fail(
                        key("initial_backlog_age"),
                        "applies only with initial_backlog",
                    );
                }
                None
            }
            Some(n) => Some(InitialBacklog {
                count: c.int_in(&key("initial_backlog"), n, 0, records as i64)? as u32,
                oldest: match &o.initial_backlog_age {
                    None => 0,
                    Some(v) => c.duration(
                        &key("initial_backlog_age"),
                        &c.text(&key("initial_backlog_age"), v, Expect::Duration)?,
                    )?,
                },
            }),
        },
        transient_error_rate: c.fraction(
            &key("transient_error_rate"),
            o.transient_error_rate.unwrap_or(0.0),
        )?,
        permanent_error_fraction: c.fraction(
            &key("permanent_error_fraction"),
            o.permanent_error_fraction.unwrap_or(0.0),
        )?,
        // Until `size_batches` gives the object its own or the sync's.
        batch_size: defaults::BATCH_SIZE,
        records_per_call: defaults::RECORDS_PER_CALL,
        // Until `size_creations` reads the creation keys, once the horizon is known.
        creations_per_hour: 0.0,
        creation_direction: if syncs[0] {
            Direction::ToMarketing
        } else {
            Direction::ToCrm
        },
        max_creations: 0,
    })
}

/// Gives each object its batch size and records per call: its own keys, else the sync's
/// `batch_size` and the API's `records_per_call`. With a daily limit, a look and the
/// costliest full batch (in calls) must fit in it, or the sync could never move.
pub(super) fn size_batches(
    c: &Checker,
    raw: &IndexMap<String, RawObject>,
    objects: &mut [ObjectSpec],
    sync: &SyncSpec,
    api: &ApiSpec,
) -> Result<(), ScenarioError> {
    for (object, (name, o)) in objects.iter_mut().zip(raw) {
        let key = |k: &str| format!("objects.{name}.{k}");
        object.batch_size = match o.batch_size {
            None => sync.batch_size,
            Some(n) => c.int_in(&key("batch_size"), n, BATCH_SIZE.min, BATCH_SIZE.max)? as u32,
        };
        object.records_per_call = match o.records_per_call {
            None => api.records_per_call,
            Some(n) => c.int_in(&key("records_per_call"), n, 1, 1_000_000)? as u32,
        };
    }
    let Some(limit) = api.daily_limit else {
        return Ok(());
    };
    let checks = api.calls_per_cycle as u64;
    let (costliest, calls) = objects
        .iter()
        .map(|o| (o, (o.batch_size as u64).div_ceil(o.records_per_call as u64)))
        .max_by_key(|(_, calls)| *calls)
        .expect("a scenario has objects");
    let need = checks + calls;
    if limit < need {
        let whose = if sync.batch_size == costliest.batch_size
            && api.records_per_call == costliest.records_per_call
        {
            String::new()
        } else {
            format!(" of {}", costliest.name)
        };
        return c.fail(
            "api.daily_limit",
            format!("is {limit} but one cycle's check ({checks}) and one full batch{whose} ({calls} calls) need {need}; the sync could never run"),
        );
    }
    Ok(())
}
