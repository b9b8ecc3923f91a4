//! Validation of each object's creation keys (`creations_per_hour`, `creation_side`), once
//! the horizon is known: the side must be one the object syncs from, and the ids the run may
//! give new records must fit beside the population (docs/model.md, Creations).

use indexmap::IndexMap;

use super::{Checker, MAX_RATE_PER_HOUR};
use crate::scenario::raw::RawObject;
use crate::scenario::{Direction, ObjectSpec, ScenarioError, MAX_RECORDS};
use crate::units::{Millis, HOUR};

/// The most records a run of `horizon` can create at `per_hour` with rate multipliers
/// peaking at `peak_factor`: the Poisson mean at the peak rate throughout, plus ten standard
/// deviations and a hundred, which a run reaches with a chance far below 10^-20.
fn creation_bound(per_hour: f64, peak_factor: f64, horizon: Millis) -> f64 {
    if per_hour <= 0.0 {
        return 0.0;
    }
    let mean = per_hour * peak_factor * horizon as f64 / HOUR as f64;
    (mean + 10.0 * mean.sqrt() + 100.0).ceil()
}

/// Reads each object's creation keys into `objects` (validated by `validate_object`).
pub(super) fn size_creations(
    c: &Checker,
    raw: &IndexMap<String, RawObject>,
    objects: &mut [ObjectSpec],
    horizon: Millis,
) -> Result<(), ScenarioError> {
    for (object, (name, o)) in objects.iter_mut().zip(raw) {
        let key = |k: &str| format!("objects.{name}.{k}");
        let rate = c.non_negative(
            &key("creations_per_hour"),
            o.creations_per_hour.unwrap_or(0.0),
            MAX_RATE_PER_HOUR,
        )?;
        let peak_factor = object
            .hour_profile
            .map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
            * object.weekend_factor.max(object.holiday_factor).max(1.0);
        if rate * peak_factor > MAX_RATE_PER_HOUR {
            return c.fail(
                key("creations_per_hour"),
                format!(
                    "peaks at {} creations per hour once hour_profile and weekend_factor (or \
                     holiday_factor) multiply it; the peak may be at most {MAX_RATE_PER_HOUR}",
                    rate * peak_factor
                ),
            );
        }
        let Some(side) = o.creation_side.as_deref() else {
            object.creations_per_hour = rate;
            object.max_creations = size(c, name, object, rate, peak_factor, horizon)?;
            continue;
        };
        if rate == 0.0 {
            return c.fail(
                key("creation_side"),
                "applies only with creations_per_hour above 0",
            );
        }
        let direction = match side {
            "crm" => Direction::ToMarketing,
            "marketing" => Direction::ToCrm,
            other => {
                return c.fail(
                    key("creation_side"),
                    format!("unknown side '{other}'; allowed: crm, marketing"),
                )
            }
        };
        if !object.syncs[direction as usize] {
            return c.fail(
                key("creation_side"),
                format!(
                    "is \"{side}\" but the object does not sync {}, so records created there \
                     never reach the sync; set `sync = \"{}\"` or \"both\", or the other side",
                    direction.name(),
                    direction.name()
                ),
            );
        }
        object.creations_per_hour = rate;
        object.creation_direction = direction;
        object.max_creations = size(c, name, object, rate, peak_factor, horizon)?;
    }
    Ok(())
}

/// The cap on `object`'s creations, refused when its ids would not fit.
fn size(
    c: &Checker,
    name: &str,
    object: &ObjectSpec,
    rate: f64,
    peak_factor: f64,
    horizon: Millis,
) -> Result<u32, ScenarioError> {
    let bound = creation_bound(rate, peak_factor, horizon);
    let room = MAX_RECORDS as f64 - object.records as f64;
    if bound > room {
        return c.fail(
            format!("objects.{name}.creations_per_hour"),
            format!(
                "could create up to {bound} records over the horizon beside the {} it has; \
                 an object may have at most {MAX_RECORDS} records, created ones included: \
                 lower the rate or the horizon",
                object.records
            ),
        );
    }
    Ok(bound as u32)
}
