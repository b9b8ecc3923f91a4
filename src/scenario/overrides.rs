//! Overrides: values given on the command line in place of the file's (`--seed 7`,
//! `--horizon 3d`, `--set sync.workers=2`), applied to the scenario's TOML tree as if they had
//! been written in the file. Each carries its key path, its value and how the user wrote it,
//! so a refused value names the flag as typed.

use std::fmt;

use super::error::plain_toml_message;
use super::raw::RawScenario;
use super::{Location, ScenarioError};

/// The most keys a `--set` path may have; the deepest scenario key has three
/// (`objects.Lead.records`), and a deep path would build a tree as deep.
pub const MAX_SET_PATH_KEYS: usize = 8;

/// One value given on the command line in place of the file's.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// How messages and provenance name it: `--seed 7`, `--set sync.workers=2`.
    shown: String,
    /// The key path and value; for a `--set` that is not `PATH=VALUE`, why not. That is
    /// reported when the scenario is loaded, so the message names the file like any other.
    target: Result<Target, String>,
}

/// Where an override goes and what it puts there.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    /// The key path as written (trimmed): `sync.workers`.
    path: String,
    /// Its keys, each trimmed.
    keys: Vec<String>,
    /// The value.
    value: toml::Value,
}

impl Override {
    /// `--seed N`: the scenario's `seed`.
    pub fn seed(seed: u64) -> Self {
        // A seed beyond the TOML range is refused by validation, naming the flag.
        let value = i64::try_from(seed).map_or_else(
            |_| toml::Value::String(seed.to_string()),
            toml::Value::Integer,
        );
        Override::single(format!("--seed {seed}"), "seed", value)
    }

    /// `--horizon DURATION`: the scenario's `horizon`, as text (`36h`, `7d`).
    pub fn horizon(text: &str) -> Self {
        Override::single(
            format!("--horizon {text}"),
            "horizon",
            toml::Value::String(text.to_string()),
        )
    }

    /// `--horizon-cap DURATION`: the scenario's `horizon_cap`, the most a run until clear
    /// lasts.
    pub fn horizon_cap(text: &str) -> Self {
        Override::single(
            format!("--horizon-cap {text}"),
            "horizon_cap",
            toml::Value::String(text.to_string()),
        )
    }

    /// `--set PATH=VALUE`. VALUE is read as TOML (`2`, `0.5`, `true`, `"x"`, `[1, 2]`), and
    /// as a bare string when it is not valid TOML (`4h`, `fifo`).
    pub fn set(assignment: &str) -> Self {
        Override {
            shown: format!("--set {assignment}"),
            target: parse_assignment(assignment),
        }
    }

    fn single(shown: String, key: &str, value: toml::Value) -> Self {
        Override {
            shown,
            target: Ok(Target {
                path: key.to_string(),
                keys: vec![key.to_string()],
                value,
            }),
        }
    }

    /// The override as the user wrote it: `--seed 7`, `--set sync.workers=2`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The key path it sets (`sync.workers`), or `None` for a `--set` that is not
    /// `PATH=VALUE`.
    pub fn path(&self) -> Option<&str> {
        self.target.as_ref().ok().map(|t| t.path.as_str())
    }

    /// The value it sets, or `None` for a `--set` that is not `PATH=VALUE`.
    pub fn value(&self) -> Option<&toml::Value> {
        self.target.as_ref().ok().map(|t| &t.value)
    }

    /// Sets the value in `table`; an error says why not, for a message about this override.
    fn apply(&self, table: &mut toml::Table) -> Result<(), String> {
        let target = self.target.as_ref().map_err(Clone::clone)?;
        let (last, parents) = target
            .keys
            .split_last()
            .expect("a path has at least one key");
        let mut node = table;
        for (depth, key) in parents.iter().enumerate() {
            let entry = node
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry.as_table_mut().ok_or_else(|| {
                format!(
                    "'{}' is a value, not a table, so it has no key '{}'",
                    target.keys[..=depth].join("."),
                    target.keys[depth + 1]
                )
            })?;
        }
        node.insert(last.clone(), target.value.clone());
        Ok(())
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

fn parse_assignment(assignment: &str) -> Result<Target, String> {
    let (path, value) = assignment
        .split_once('=')
        .ok_or_else(|| "expected PATH=VALUE, e.g. `--set sync.workers=2`".to_string())?;
    let path = path.trim();
    let keys: Vec<&str> = path.split('.').map(str::trim).collect();
    if keys.len() > MAX_SET_PATH_KEYS {
        return Err(format!(
            "'{path}' has {} keys; a key path has at most {MAX_SET_PATH_KEYS}, e.g. \
             `objects.Lead.records`",
            keys.len()
        ));
    }
    if keys.iter().any(|k| k.is_empty()) {
        return Err(format!(
            "'{path}' is not a key path; write keys joined by dots, e.g. `objects.Lead.records`"
        ));
    }
    Ok(Target {
        path: path.to_string(),
        keys: keys.into_iter().map(str::to_string).collect(),
        value: parse_value(value.trim()),
    })
}

fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// `table` with every override applied in order, deserialized; errors name the override at
/// fault after `source` (`q4.toml with --set sync.workers=x`).
pub(crate) fn apply(
    table: &toml::Table,
    source: &str,
    overrides: &[Override],
) -> Result<RawScenario, ScenarioError> {
    let mut changed = table.clone();
    for o in overrides {
        o.apply(&mut changed).map_err(|message| ScenarioError {
            source: format!("{source} with {o}"),
            location: Location::File,
            message,
        })?;
    }
    RawScenario::deserialize_table(changed).map_err(|e| type_error(table, source, overrides, &e))
}

/// Names the override whose value has the wrong type: the first after which the file no
/// longer deserializes. (Values in the tree carry no line and column, so the overrides are
/// replayed one at a time; this runs only on that error.)
fn type_error(
    table: &toml::Table,
    source: &str,
    overrides: &[Override],
    error: &toml::de::Error,
) -> ScenarioError {
    let mut table = table.clone();
    for o in overrides {
        if o.apply(&mut table).is_err() {
            continue;
        }
        if let Err(e) = RawScenario::deserialize_table(table.clone()) {
            return ScenarioError {
                source: format!("{source} with {o}"),
                location: Location::Key(o.path().unwrap_or_default().to_string()),
                message: plain_toml_message(e.message()),
            };
        }
    }
    let all: Vec<&str> = overrides.iter().map(Override::shown).collect();
    ScenarioError {
        source: format!("{source} with {}", all.join(" ")),
        location: Location::File,
        message: plain_toml_message(error.message()),
    }
}

/// Names the override that gave a refused key its value: the last one whose path is the key,
/// inside it or around it (`--set sync.gates={A="B"}` for `sync.gates.A`).
pub(crate) fn blame(mut error: ScenarioError, overrides: &[Override]) -> ScenarioError {
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
    let culprit = overrides.iter().rev().find(|o| {
        let Ok(target) = &o.target else {
            return false;
        };
        let path = target.keys.join(".");
        within(key, &path)
            || within(&path, key)
            || (horizon_too && (path == "horizon" || path == "horizon_cap"))
    });
    if let Some(o) = culprit {
        error.source = format!("{} with {o}", error.source);
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
