//! What a refused scenario says: [`ScenarioError`] (the source, where in it, what was wrong
//! and what is allowed), kept to one screen whatever the input was, and the TOML library's
//! messages put in a planner's words, with the line and column of a syntax error.

use std::fmt;

/// Where in the input something is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The whole file.
    File,
    /// A line and column (1-based), with the line's text.
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The text of that line.
        text: String,
    },
    /// A key path such as `sync.batch_size`.
    Key(String),
}

/// A scenario that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `--set` argument) at fault.
    pub source: String,
    /// Where in it.
    pub location: Location,
    /// What was wrong and what is allowed.
    pub message: String,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages echo what the user wrote; keep them on one screen whatever it was.
        let source = screen_text(&self.source, MAX_SHOWN_NAME);
        let message = screen_text(&self.message, MAX_SHOWN_TEXT);
        match &self.location {
            Location::File => write!(f, "scenario '{source}': {message}"),
            Location::Key(key) => {
                write!(
                    f,
                    "scenario '{source}': {}: {message}",
                    screen_text(key, MAX_SHOWN_NAME)
                )
            }
            Location::LineColumn { line, column, text } => {
                let gutter = line.to_string().len();
                writeln!(
                    f,
                    "scenario '{source}': line {line}, column {column}: {message}"
                )?;
                // Control characters (a NUL of UTF-16 text, a stray escape) would garble the
                // terminal; one replacement character each keeps the caret's column right.
                let chars: Vec<char> = text
                    .chars()
                    .map(|ch| match ch {
                        '\t' => ' ',
                        ch if unsafe_to_show(ch) => '\u{fffd}',
                        ch => ch,
                    })
                    .collect();
                // A long line is shown as a window around the column, so it stays on one
                // screen and the caret still points at the right character.
                let (first, lead) = if *column > SHOWN_LINE / 2 + 40 {
                    (column - 1 - SHOWN_LINE / 2, "...")
                } else {
                    (0, "")
                };
                let last = chars.len().min(first + SHOWN_LINE);
                let tail = if last < chars.len() { "..." } else { "" };
                let window: String = chars.get(first..last).unwrap_or_default().iter().collect();
                let caret = column - first + lead.len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{line} | {lead}{window}{tail}")?;
                write!(f, "{:gutter$} | {:>caret$}", "", "^")
            }
        }
    }
}

/// Whether `ch` must not reach a terminal as it is: a control character (an escape sequence
/// can clear the screen or retitle the window; a line break splits a line) or one that
/// reorders the text around it (the bidirectional marks, embeddings, overrides and
/// isolates).
pub(crate) fn unsafe_to_show(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// How many characters of a line an error shows around the column.
pub(crate) const SHOWN_LINE: usize = 160;

/// The longest run of non-blank characters an error message shows whole.
const MAX_SHOWN_WORD: usize = 80;

/// `text` made safe for a one-screen message: control characters (newlines of a multi-line
/// string, for one) escaped, any run of more than [`MAX_SHOWN_WORD`] non-blank characters (a
/// 100,000-character key, say) shortened around an ellipsis, and the whole kept under `max`
/// characters the same way.
pub(crate) fn screen_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let n = word.chars().count();
        if n > MAX_SHOWN_WORD {
            let head: String = word.chars().take(40).collect();
            let tail: String = word.chars().skip(n - 20).collect();
            out.push_str(&format!("{head}...({} characters)...{tail}", n - 60));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch == ' ' {
            flush(&mut word, &mut out);
            out.push(ch);
        } else if unsafe_to_show(ch) {
            word.extend(ch.escape_default());
        } else {
            word.push(ch);
        }
    }
    flush(&mut word, &mut out);
    // Many short words (a `--set` value of a thousand words) are shortened as a whole.
    let n = out.chars().count();
    if n > max {
        // The end usually says what is allowed: keep it.
        let (head, tail) = (max * 2 / 3, max / 4);
        let shown: String = out.chars().take(head).collect();
        let end: String = out.chars().skip(n - tail).collect();
        out = format!("{shown}...({} characters)...{end}", n - head - tail);
    }
    out
}

/// The longest message an error shows whole.
const MAX_SHOWN_TEXT: usize = 800;
/// The longest source or key an error shows whole.
const MAX_SHOWN_NAME: usize = 200;

/// The TOML library's message in a planner's words: on one line, with Rust type names
/// replaced by the TOML they stand for, and what is allowed where the library does not say.
pub(crate) fn plain_toml_message(message: &str) -> String {
    let mut text = message
        .trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    for (rust, toml) in [
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        (
            "expected a sequence",
            "expected an array such as [\"Lead\", \"Contact\"]",
        ),
        ("expected a map", "expected a table"),
        (
            "expected struct RawEvent",
            "expected an event table ([events.<name>] with kind, at, ...)",
        ),
        (
            "expected struct RawObject",
            "expected an object table ([objects.<Name>] with records, ...)",
        ),
        ("expected struct RawSync", "expected the [sync] table"),
        ("expected struct RawScenario", "expected a table"),
        ("floating point", "float"),
    ] {
        text = text.replace(rust, toml);
    }
    if text.contains("recursion limit exceeded") {
        return format!(
            "{}; values are nested too deeply: arrays, inline tables and dotted keys may nest \
             fewer than 80 levels",
            text.replace("; recursion limit exceeded", "")
                .replace("recursion limit exceeded", "")
                .trim_end_matches("; ")
        )
        .trim_start_matches("; ")
        .to_string();
    }
    if text.starts_with("invalid string; expected `\"`, `'`") {
        return "expected a value: a number, true or false, a date-time, an array `[...]`, an \
                inline table `{...}` or a quoted string (words need quotes: `policy = \"fifo\"`)"
            .into();
    }
    if text.starts_with("invalid table header; expected") {
        return "invalid table header: a header is names joined by dots, in brackets, on one \
                line, e.g. `[objects.Lead]` or `[events.currency_update]`"
            .into();
    }
    if text.starts_with("invalid array; expected `]`") {
        return "invalid array: values are separated by commas and the array closes with `]`; \
                words need quotes, e.g. `[\"Lead\", \"Contact\"]`"
            .into();
    }
    if text.starts_with("invalid inline table; expected `}`") {
        return "invalid inline table: `key = value` pairs are separated by commas, on one \
                line, and the table closes with `}`; words need quotes, e.g. \
                `{ Contact = \"Account\" }`"
            .into();
    }
    if text == "invalid basic string" || text == "invalid literal string" {
        return format!(
            "{text}: a string must close on the line it opens, and a backslash in \"...\" \
             starts an escape such as \\n or \\\\"
        );
    }
    if text.starts_with("number too large to fit in target type") {
        return "the number is too large: whole numbers are at most 9223372036854775807".into();
    }
    text
}

/// The error of text that is not TOML: the library's message in plain words, at the line and
/// column of its span, with enough of the line to show the column in context.
pub(crate) fn syntax_error(text: &str, source: &str, e: &toml::de::Error) -> ScenarioError {
    let message = plain_toml_message(e.message());
    let Some(span) = e.span() else {
        return ScenarioError {
            source: source.into(),
            location: Location::File,
            message,
        };
    };
    let offset = span.start.min(text.len());
    // At the very end of the file the TOML library gives no message at all.
    let message = if !message.is_empty() {
        message
    } else if text[offset..].trim().is_empty() {
        "the file ends too early: a value, a closing bracket or a closing quote is missing".into()
    } else {
        "this is not valid TOML here (the format: docs/scenario.md)".into()
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    // Enough of the line for the error to show the column in context.
    let line_text: String = text[line_start..]
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(column + SHOWN_LINE)
        .collect();
    ScenarioError {
        source: source.into(),
        location: Location::LineColumn {
            line,
            column,
            text: line_text,
        },
        message,
    }
}
