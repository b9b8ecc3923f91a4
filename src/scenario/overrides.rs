//! `--set PATH=VALUE` overrides: applied to the scenario's TOML tree as if written in the
//! file, and named in the message of any value they gave that is refused.

use super::error::plain_toml_message;
use super::raw::RawScenario;
use super::{Location, ScenarioError};

/// The most keys a `--set` path may have; the deepest scenario key has three
/// (`objects.Lead.records`), and a deep path would build a tree as deep.
pub const MAX_SET_PATH_KEYS: usize = 8;

/// Applies one `--set PATH=VALUE` to the TOML tree. VALUE is read as TOML (`2`, `0.5`,
/// `true`, `"x"`, `[1, 2]`), and as a bare string when it is not valid TOML (`4h`, `fifo`).
pub fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), ScenarioError> {
    let err = |message: String| ScenarioError {
        source: format!("--set {assignment}"),
        location: Location::File,
        message,
    };
    let (path, value) = assignment
        .split_once('=')
        .ok_or_else(|| err("expected PATH=VALUE, e.g. `--set sync.workers=2`".into()))?;
    let path = path.trim();
    let keys: Vec<&str> = path.split('.').map(str::trim).collect();
    if keys.len() > MAX_SET_PATH_KEYS {
        return Err(err(format!(
            "'{path}' has {} keys; a key path has at most {MAX_SET_PATH_KEYS}, e.g. \
             `objects.Lead.records`",
            keys.len()
        )));
    }
    if keys.iter().any(|k| k.is_empty()) {
        return Err(err(format!(
            "'{path}' is not a key path; write keys joined by dots, e.g. `objects.Lead.records`"
        )));
    }
    let value = parse_override_value(value.trim());
    let (last, parents) = keys.split_last().expect("split yields at least one key");
    let mut node = table;
    for (depth, key) in parents.iter().enumerate() {
        let entry = node
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = entry.as_table_mut().ok_or_else(|| {
            err(format!(
                "'{}' is a value, not a table, so it has no key '{}'",
                keys[..=depth].join("."),
                keys[depth + 1]
            ))
        })?;
    }
    node.insert(last.to_string(), value);
    Ok(())
}

fn parse_override_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// Names the `--set` that gave a refused key its value: the last one whose path is the key,
/// inside it or around it (`--set sync.gates={A="B"}` for `sync.gates.A`).
pub(crate) fn blame_override(mut error: ScenarioError, overrides: &[String]) -> ScenarioError {
    let Location::Key(key) = &error.location else {
        return error;
    };
    let key = key.split('[').next().unwrap_or_default();
    let within = |inner: &str, outer: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    // An event refused for falling outside the horizon is as much the horizon's doing.
    let horizon_too = key.starts_with("events.") && error.message.contains("the horizon");
    let culprit = overrides.iter().rev().find(|assignment| {
        let path = assignment.split('=').next().unwrap_or_default().trim();
        let path: String = path.split('.').map(str::trim).collect::<Vec<_>>().join(".");
        within(key, &path) || within(&path, key) || (horizon_too && path == "horizon")
    });
    if let Some(assignment) = culprit {
        error.source = format!("{} with --set {assignment}", error.source);
    }
    error
}

impl RawScenario {
    /// Deserializes a TOML tree (the file's, with overrides applied).
    pub(crate) fn deserialize_table(table: toml::Table) -> Result<Self, toml::de::Error> {
        use serde::Deserialize;
        RawScenario::deserialize(toml::Value::Table(table))
    }
}

/// Names the `--set` whose value has the wrong type: the first override after which the
/// file no longer deserializes.
pub(crate) fn override_type_error(
    text: &str,
    source: &str,
    overrides: &[String],
    error: &toml::de::Error,
) -> ScenarioError {
    let mut table: toml::Table = toml::from_str(text).unwrap_or_default();
    for assignment in overrides {
        if apply_override(&mut table, assignment).is_err() {
            continue;
        }
        if let Err(e) = RawScenario::deserialize_table(table.clone()) {
            return ScenarioError {
                source: format!("{source} with --set {assignment}"),
                location: Location::Key(
                    assignment
                        .split('=')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                ),
                message: plain_toml_message(e.message()),
            };
        }
    }
    ScenarioError {
        source: format!("{source} with --set {}", overrides.join(" --set ")),
        location: Location::File,
        message: plain_toml_message(error.message()),
    }
}
