//! A scenario file's text with overrides written into it, as if the planner had typed them
//! into the file: comments, layout and every other key are kept, a value that is set is
//! replaced where it stands (with its trailing comment), and a key or table that is new is
//! added. The result is a scenario file of its own: the what-if page's download
//! (`syncsim serve`) is written this way.

use toml_edit::{DocumentMut, Item, Table, TableLike};

use super::{Location, Override, ScenarioError};

/// `text` (a scenario file; `source` names it in errors) with `overrides` written into it in
/// order. Validating the result alone gives the scenario that validating `text` with the
/// overrides gives. Fails only for text that is not TOML or an override that cannot be
/// applied, both of which validation refuses too.
pub fn write_overrides(
    text: &str,
    source: &str,
    overrides: &[Override],
) -> Result<String, ScenarioError> {
    let refuse = |message: String| ScenarioError {
        source: source.to_string(),
        location: Location::File,
        message,
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| refuse(e.message().to_string()))?;
    for o in overrides {
        let (Some(path), Some(value)) = (o.path(), o.value()) else {
            return Err(refuse(format!("{o}: expected PATH=VALUE")));
        };
        let keys: Vec<&str> = path.split('.').map(str::trim).collect();
        let (last, parents) = keys.split_last().expect("a path has at least one key");
        let mut table: &mut dyn TableLike = doc.as_table_mut();
        for key in parents {
            if !table.contains_key(key) {
                // Implicit: only the tables that end up holding values get a header.
                let mut new = Table::new();
                new.set_implicit(true);
                table.insert(key, Item::Table(new));
            }
            table = table
                .get_mut(key)
                .and_then(Item::as_table_like_mut)
                .ok_or_else(|| refuse(format!("{o}: '{key}' is a value, not a table")))?;
        }
        let mut new = edit_value(value);
        match table.get_mut(last).and_then(Item::as_value_mut) {
            Some(old) => {
                // The value's own comment and spacing stay with it.
                *new.decor_mut() = old.decor().clone();
                *old = new;
            }
            None => {
                table.insert(last, Item::Value(new));
            }
        }
    }
    Ok(doc.to_string())
}

/// A value of the parsed tree as an editable value.
fn edit_value(value: &toml::Value) -> toml_edit::Value {
    match value {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(n) => (*n).into(),
        toml::Value::Float(x) => (*x).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(dt) => dt
            .to_string()
            .parse::<toml_edit::Datetime>()
            .map_or_else(|_| dt.to_string().into(), Into::into),
        toml::Value::Array(items) => {
            let array: toml_edit::Array = items.iter().map(edit_value).collect();
            toml_edit::Value::Array(array)
        }
        toml::Value::Table(t) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in t {
                inline.insert(k, edit_value(v));
            }
            toml_edit::Value::InlineTable(inline)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::from_str;

    const FILE: &str = r#"# A commented scenario.
name = "t"
start = "2026-11-23T00:00:00Z"
horizon = "2d"

[objects.Lead]
records = 1000
edits_per_hour = 50   # about one a minute

[sync]
throughput = 2_000 # units per hour
workers = 1

[events.bulk]
kind = "bulk_update"
at = "6h"
object = "Lead"
count = 900
spread = "1h"
"#;

    fn sets(list: &[&str]) -> Vec<Override> {
        list.iter().map(|s| Override::set(s)).collect()
    }

    #[test]
    fn values_are_replaced_in_place_and_comments_kept() {
        let o = sets(&["sync.throughput=8000", "objects.Lead.edits_per_hour=75.5"]);
        let text = write_overrides(FILE, "t.toml", &o).unwrap();
        assert!(
            text.contains("throughput = 8000 # units per hour"),
            "{text}"
        );
        assert!(
            text.contains("edits_per_hour = 75.5   # about one a minute"),
            "{text}"
        );
        assert!(text.starts_with("# A commented scenario.\n"));
        let rewritten = from_str(&text, "t.toml", "t", &[]).unwrap();
        let overridden = from_str(FILE, "t.toml", "t", &o).unwrap();
        assert_eq!(rewritten.sync.throughput, 8000.0);
        assert_eq!(
            rewritten.objects[0].edits_per_hour,
            overridden.objects[0].edits_per_hour
        );
    }

    #[test]
    fn new_keys_and_tables_are_added_and_validate_like_the_overrides() {
        let o = sets(&[
            "sync.policy=priority",
            r#"sync.order=["Lead"]"#,
            "sync.cycle_wait=10m",
            "events.bulk_part2.kind=bulk_update",
            "events.bulk_part2.at=12h",
            "events.bulk_part2.object=Lead",
            "events.bulk.count=450",
            "events.bulk_part2.count=450",
            "events.bulk_part2.first_record=450",
            "start=2026-11-24T00:00:00Z",
        ]);
        let text = write_overrides(FILE, "t.toml", &o).unwrap();
        assert!(text.contains("[events.bulk_part2]"), "{text}");
        let rewritten = from_str(&text, "t.toml", "t", &[]).unwrap();
        let overridden = from_str(FILE, "t.toml", "t", &o).unwrap();
        assert_eq!(rewritten.events, overridden.events);
        assert_eq!(rewritten.sync, overridden.sync);
        assert_eq!(rewritten.start, overridden.start);
    }

    #[test]
    fn an_override_through_a_value_is_refused() {
        let e = write_overrides(FILE, "t.toml", &sets(&["name.x=1"])).unwrap_err();
        assert!(e.message.contains("'name' is a value"), "{e}");
    }
}
