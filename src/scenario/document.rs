//! A scenario's text parsed once: its TOML tree, with the syntax and the file's own value
//! types checked, ready to be validated with any overrides, any number of times (a planner
//! validates hundreds of candidates of one file, each from this tree rather than the text).

use super::error::{plain_toml_message, syntax_error};
use super::origin::{sha256_hex, Origin};
use super::raw::RawScenario;
use super::{overrides, validate, Location, Override, Scenario, ScenarioError, Validated};

/// Scenario text, parsed and checked as far as it can be without knowing the overrides.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// How errors name the text: the path as given, or a name such as `fitted scenario`.
    source: String,
    /// The name used when the file sets no `name`.
    default_name: String,
    /// SHA-256 of the text, lowercase hex.
    sha256: String,
    /// Whether the text is empty or blank: said so when nothing else gives it objects.
    blank: bool,
    /// The TOML tree, which overrides are applied to.
    table: toml::Table,
    /// The file alone, deserialized: what validation takes when there are no overrides.
    raw: RawScenario,
}

impl Document {
    /// Parses `text`; `source` names it in errors and `default_name` is used when the file
    /// sets no `name`. Syntax errors and values of the wrong type point at a line and column.
    pub(crate) fn parse(
        text: &str,
        source: &str,
        default_name: &str,
    ) -> Result<Self, ScenarioError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| syntax_error(text, source, &e))?;
        // The file alone must have the right types, whatever the overrides. The tree no
        // longer knows where a value was written, so on a refusal the text is read again,
        // this time to find the line and column of the error.
        let raw =
            RawScenario::deserialize_table(table.clone()).map_err(
                |tree_error| match toml::from_str::<RawScenario>(text) {
                    Err(e) => syntax_error(text, source, &e),
                    Ok(_) => ScenarioError {
                        source: source.into(),
                        location: Location::File,
                        message: plain_toml_message(tree_error.message()),
                    },
                },
            )?;
        Ok(Document {
            source: source.into(),
            default_name: default_name.into(),
            sha256: sha256_hex(text.as_bytes()),
            blank: text.trim().is_empty(),
            table,
            raw,
        })
    }

    /// How errors name the text.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Applies `overrides` in order and validates the result; errors name the override that
    /// gave a refused value. The scenario's origin records the text and the overrides.
    pub(crate) fn validate(&self, overrides: &[Override]) -> Result<Validated, ScenarioError> {
        let raw = if overrides.is_empty() {
            self.raw.clone()
        } else {
            overrides::apply(&self.table, &self.source, overrides)?
        };
        if raw.objects.is_empty() && self.blank {
            return Err(ScenarioError {
                source: self.source.clone(),
                location: Location::File,
                message: "the file is empty; a scenario needs at least one [objects.<Name>] \
                          table (see docs/scenario.md)"
                    .into(),
            });
        }
        let mut spec = validate::validate(raw, &self.source, &self.default_name)
            .map_err(|e| overrides::blame(e, overrides))?;
        spec.origin = Origin {
            source: self.source.clone(),
            sha256: self.sha256.clone(),
            overrides: overrides.iter().map(|o| o.shown().to_string()).collect(),
            snapshot: None,
        };
        Ok(Validated { spec })
    }
}

/// Parses, overrides and validates scenario `text`; `source` names it in errors and
/// `default_name` is used when the file sets no `name`.
///
/// This reads no file: the scenario's `initial_backlog_file`, if it names one, is read and
/// attached only by [`crate::load`], which also reads the scenario from a path.
pub fn from_str(
    text: &str,
    source: &str,
    default_name: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    Ok(Document::parse(text, source, default_name)?
        .validate(overrides)?
        .freeze())
}
