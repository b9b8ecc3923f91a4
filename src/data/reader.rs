//! The one reader of data files: change logs, backlog snapshots, and the admin page's figures
//! and trend (`docs/data.md`). A file is read once, front to back, so a named pipe or
//! `<(cmd)` works and a file is open once however it is used. Reading is capped (the file's
//! size by its kind, a row at [`MAX_ROW_BYTES`], a field at [`MAX_FIELD_BYTES`]), so a
//! never-ending input such as `/dev/zero` is refused after a bounded read instead of being
//! held in memory. Every row knows where it is: the physical line it starts on (a quoted
//! field may span lines) and the character column of each field, so a message points at the
//! place an editor shows.
//!
//! The CSV dialect is RFC 4180 as spreadsheets write it: comma-separated, fields optionally
//! in double quotes (`""` for a quote inside), `\n` or `\r\n` line ends, a UTF-8 byte-order
//! mark at the start skipped, blank lines skipped.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::inputs;
use super::DataError;
use crate::units::bytes_text;

/// Longest row read, in bytes (its physical lines together): far above any row of the
/// documented formats, low enough that a file without line ends is refused at once.
pub const MAX_ROW_BYTES: usize = 64 * 1024;
/// Longest field read, in bytes.
pub const MAX_FIELD_BYTES: usize = 1024;

/// The kinds of data file, each with its size cap and its name in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// A change log (`time_utc,object,record,direction,synced`).
    ChangeLog,
    /// A backlog snapshot (`object,record,stamp_utc,direction`).
    Snapshot,
    /// The admin page's per-object figures.
    Figures,
    /// The admin page's backlog trend.
    Trend,
}

impl DataKind {
    /// What the file is, in messages.
    pub fn name(self) -> &'static str {
        match self {
            DataKind::ChangeLog => "change log",
            DataKind::Snapshot => "backlog snapshot",
            DataKind::Figures => "figures file",
            DataKind::Trend => "trend file",
        }
    }

    /// The largest file of this kind read. A change log's edits and a snapshot's rows are
    /// held in memory (16 and about 100 bytes each), so these caps also bound that memory.
    pub fn max_bytes(self) -> u64 {
        match self {
            DataKind::ChangeLog => 4 << 30,
            DataKind::Snapshot => 1 << 30,
            DataKind::Figures | DataKind::Trend => 64 << 20,
        }
    }
}

/// Where in a data file something is: a physical line (1-based, the header is line 1), and
/// for a field its character column (1-based) and its column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The line.
    pub line: u64,
    /// The field's column and name, when the problem is in one field.
    pub field: Option<(u64, String)>,
}

impl Place {
    /// A whole line.
    pub fn line(line: u64) -> Self {
        Place { line, field: None }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            None => write!(f, "line {}", self.line),
            Some((column, name)) if name.is_empty() => {
                write!(f, "line {}, column {column}", self.line)
            }
            Some((column, name)) => write!(
                f,
                "line {}, column {column} ({})",
                self.line,
                crate::scenario::error::screen_text(name, 80)
            ),
        }
    }
}

/// One row of a data file, as read: its fields and where each starts. Reused from row to
/// row, so reading allocates only while rows grow.
#[derive(Debug, Default)]
pub struct Row {
    /// The physical line the row starts on.
    pub line: u64,
    /// The fields in use (`texts` may hold more, from longer rows before).
    count: usize,
    texts: Vec<String>,
    /// (line, column) of each field's first character.
    starts: Vec<(u64, u64)>,
    /// The header's names, for messages (empty while the header itself is read).
    names: Vec<String>,
    /// The first thing that made the row unreadable, if any.
    problem: Option<(Place, String)>,
}

impl Row {
    /// The position of the header's column `name`, if the file has one (for optional
    /// columns; [`DataReader::find_columns`] finds the required ones).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|h| h == name)
    }

    /// How many fields the row has.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the row has no field (never, for a row read).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Field `i` without surrounding blanks; empty if the row has no such field.
    pub fn get(&self, i: usize) -> &str {
        if i < self.count {
            self.texts[i].trim()
        } else {
            ""
        }
    }

    /// Where field `i`'s text starts, blanks before it skipped (or the row's line, if it
    /// has no such field).
    pub fn at(&self, i: usize) -> Place {
        if i >= self.count {
            return Place::line(self.line);
        }
        let (line, column) = self.starts[i];
        let text = &self.texts[i];
        let blanks = text[..text.len() - text.trim_start().len()].chars().count() as u64;
        let column = column + blanks;
        let name = self.names.get(i).cloned().unwrap_or_default();
        Place {
            line,
            field: Some((column, name)),
        }
    }

    /// The fields, trimmed.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.texts[..self.count].iter().map(|t| t.trim())
    }

    fn clear(&mut self, line: u64) {
        self.line = line;
        self.count = 0;
        self.problem = None;
    }

    fn push(&mut self, text: String, start: (u64, u64)) {
        if self.count < self.texts.len() {
            self.texts[self.count] = text;
            self.starts[self.count] = start;
        } else {
            self.texts.push(text);
            self.starts.push(start);
        }
        self.count += 1;
    }

    fn problem(&mut self, place: Place, why: String) {
        if self.problem.is_none() {
            self.problem = Some((place, why));
        }
    }
}

/// Where the parser is within a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    Start,
    /// In a field without quotes (or after a quoted part: what follows is kept as written).
    Plain,
    /// Inside quotes.
    Quoted,
    /// Inside quotes, just after a `"`: another `"` is a quote, anything else ends them.
    QuoteInQuoted,
}

/// A data file being read, row by row.
pub struct DataReader<R> {
    path: PathBuf,
    kind: DataKind,
    input: BufReader<io::Take<R>>,
    /// Bytes read so far.
    read: u64,
    /// The physical line being read, 1-based.
    line: u64,
    /// Characters read so far on that line.
    column: u64,
    /// The field being read.
    field: Vec<u8>,
}

/// Opens the data file at `path` as a `kind`: refuses a folder and a file above the kind's
/// size cap before reading, and records the file as an input of this process, which no
/// output of it may replace.
pub fn open(path: &Path, kind: DataKind) -> Result<DataReader<File>, DataError> {
    Ok(DataReader::new(path, kind, open_file(path, kind)?))
}

/// The checks of [`open`], handing back the file itself (to wrap, say to hash what is read).
pub fn open_file(path: &Path, kind: DataKind) -> Result<File, DataError> {
    let io_error = |source| DataError::Io {
        path: path.into(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(DataError::Refused {
            path: path.into(),
            message: format!("is a folder, not a {}", kind.name()),
        });
    }
    // A regular file's size is known; a pipe or a device says 0 and is capped as it is read.
    if meta.is_file() && meta.len() > kind.max_bytes() {
        return Err(too_large(path, kind, Some(meta.len())));
    }
    inputs::note(path);
    Ok(file)
}

fn too_large(path: &Path, kind: DataKind, size: Option<u64>) -> DataError {
    let max = kind.max_bytes();
    DataError::Refused {
        path: path.into(),
        message: format!(
            "is {} bytes; a {} may be at most {max} bytes ({})",
            size.map_or_else(|| format!("more than {max}"), |s| s.to_string()),
            kind.name(),
            bytes_text(max as f64)
        ),
    }
}

impl<R: Read> DataReader<R> {
    /// Reads `input`, which `path` names in messages, as a `kind`.
    pub fn new(path: &Path, kind: DataKind, input: R) -> Self {
        let mut input = BufReader::with_capacity(64 * 1024, input.take(kind.max_bytes() + 1));
        // A byte-order mark, as some spreadsheets write, is not part of the first column.
        if let Ok(buf) = input.fill_buf() {
            if buf.starts_with(b"\xEF\xBB\xBF") {
                input.consume(3);
            }
        }
        DataReader {
            path: path.into(),
            kind,
            input,
            read: 0,
            line: 1,
            column: 0,
            field: Vec::new(),
        }
    }

    /// The file, as named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the header and checks it is exactly `expected` (blanks around names allowed).
    /// Returns an empty row, named by the header, to read the other rows into.
    pub fn expect_header(&mut self, expected: &[&str]) -> Result<Row, DataError> {
        let row = self.header(expected)?;
        if row.fields().ne(expected.iter().copied()) {
            return Err(self.header_error(expected, &row));
        }
        Ok(row)
    }

    /// Reads the header and finds each of `wanted` in it (others are ignored). Returns their
    /// positions and an empty row to read the other rows into.
    pub fn find_columns(&mut self, wanted: &[&str]) -> Result<(Vec<usize>, Row), DataError> {
        let row = self.header(wanted)?;
        let mut positions = Vec::with_capacity(wanted.len());
        for w in wanted {
            match row.fields().position(|h| h == *w) {
                Some(i) => positions.push(i),
                None => return Err(self.header_error(wanted, &row)),
            }
        }
        Ok((positions, row))
    }

    fn header(&mut self, expected: &[&str]) -> Result<Row, DataError> {
        let mut row = Row::default();
        if !self.next_row(&mut row)? {
            return Err(DataError::Refused {
                path: self.path.clone(),
                message: format!(
                    "is empty; a {} starts with the header `{}`",
                    self.kind.name(),
                    expected.join(",")
                ),
            });
        }
        if let Some((place, why)) = row.problem.take() {
            return Err(DataError::Refused {
                path: self.path.clone(),
                message: format!("{place}: {why} (in the header)"),
            });
        }
        let names: Vec<String> = row.fields().map(str::to_string).collect();
        row.names = names;
        Ok(row)
    }

    fn header_error(&self, expected: &[&str], row: &Row) -> DataError {
        DataError::Header {
            path: self.path.clone(),
            expected: expected.join(","),
            got: row.fields().collect::<Vec<_>>().join(","),
        }
    }

    /// Reads every row left, handing each readable one to `f` and recording unreadable ones
    /// (not UTF-8, a field too long, a quote never closed) in `report` as bad rows.
    pub fn each_row(
        &mut self,
        row: &mut Row,
        report: &mut super::RowReport,
        mut f: impl FnMut(&Row, &mut super::RowReport),
    ) -> Result<(), DataError> {
        self.each_row_or_problem(row, |read| match read {
            Ok(row) => f(row, report),
            Err((place, why)) => report.bad_row(place, why),
        })
    }

    /// Reads every row left, handing `f` each readable row, or where and why a row could not
    /// be read.
    pub fn each_row_or_problem(
        &mut self,
        row: &mut Row,
        mut f: impl FnMut(Result<&Row, (Place, String)>),
    ) -> Result<(), DataError> {
        while self.next_row(row)? {
            match row.problem.take() {
                Some(problem) => f(Err(problem)),
                None => f(Ok(row)),
            }
        }
        Ok(())
    }

    /// Reads the next row into `row`; `false` at the end of the file. A file too large or a
    /// row too long is an error: what follows cannot be trusted to be rows.
    pub fn next_row(&mut self, row: &mut Row) -> Result<bool, DataError> {
        loop {
            row.clear(self.line);
            if !self.read_row(row)? {
                return Ok(false);
            }
            // A blank line is no row.
            if !(row.count == 1 && row.texts[0].trim().is_empty()) {
                return Ok(true);
            }
        }
    }

    /// Reads one row; `false` at the end of the file.
    fn read_row(&mut self, row: &mut Row) -> Result<bool, DataError> {
        let mut state = State::Start;
        let mut start = (self.line, self.column + 1);
        let mut quoted = false;
        let mut long = false;
        let mut row_bytes = 0usize;
        let mut any = false;
        self.field.clear();
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(DataError::Io {
                        path: self.path.clone(),
                        source,
                    })
                }
            };
            if buf.is_empty() {
                // The end of the file.
                if self.read > self.kind.max_bytes() {
                    return Err(too_large(&self.path, self.kind, None));
                }
                if !any {
                    return Ok(false);
                }
                if matches!(state, State::Quoted) {
                    row.problem(
                        Place {
                            line: start.0,
                            field: Some((
                                start.1,
                                row.names.get(row.count).cloned().unwrap_or_default(),
                            )),
                        },
                        "a quoted field is never closed: the file ends inside its quotes".into(),
                    );
                }
                end_field(&mut self.field, row, start, quoted, long);
                return Ok(true);
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                used += 1;
                any = true;
                row_bytes += 1;
                if b == b'\n' {
                    self.line += 1;
                    self.column = 0;
                } else if b & 0xC0 != 0x80 {
                    self.column += 1;
                }
                let mut keep = true;
                match state {
                    State::Start if b == b'"' => {
                        state = State::Quoted;
                        quoted = true;
                        keep = false;
                    }
                    State::Start | State::Plain => {
                        state = State::Plain;
                        if b == b',' || b == b'\n' {
                            if b == b'\n' && self.field.last() == Some(&b'\r') {
                                self.field.pop();
                            }
                            end_field(&mut self.field, row, start, quoted, long);
                            if b == b'\n' {
                                done = true;
                                break;
                            }
                            state = State::Start;
                            start = (self.line, self.column + 1);
                            quoted = false;
                            long = false;
                            keep = false;
                        }
                    }
                    State::Quoted => {
                        if b == b'"' {
                            state = State::QuoteInQuoted;
                            keep = false;
                        }
                    }
                    State::QuoteInQuoted => {
                        if b == b'"' {
                            state = State::Quoted;
                        } else if b == b',' || b == b'\n' {
                            if b == b'\n' && self.field.last() == Some(&b'\r') {
                                self.field.pop();
                            }
                            end_field(&mut self.field, row, start, quoted, long);
                            if b == b'\n' {
                                done = true;
                                break;
                            }
                            state = State::Start;
                            start = (self.line, self.column + 1);
                            quoted = false;
                            long = false;
                            keep = false;
                        } else {
                            // Text after the closing quote is kept as written.
                            state = State::Plain;
                        }
                    }
                }
                if keep {
                    if self.field.len() < MAX_FIELD_BYTES {
                        self.field.push(b);
                    } else {
                        long = true;
                    }
                }
                if row_bytes > MAX_ROW_BYTES {
                    break;
                }
            }
            self.input.consume(used);
            self.read += used as u64;
            if row_bytes > MAX_ROW_BYTES {
                return Err(DataError::Refused {
                    path: self.path.clone(),
                    message: format!(
                        "line {}: the row is longer than {MAX_ROW_BYTES} bytes (a row of a \
                         {} is a short line of text; is this the right file?)",
                        row.line,
                        self.kind.name()
                    ),
                });
            }
            if done {
                return Ok(true);
            }
        }
    }
}

/// Ends the field being read: its text (or why it cannot be read) goes into `row`, and
/// `field` is emptied for the next.
fn end_field(field: &mut Vec<u8>, row: &mut Row, start: (u64, u64), quoted: bool, long: bool) {
    let name = row.names.get(row.count).cloned().unwrap_or_default();
    let place = |line, column| Place {
        line,
        field: Some((column, name.clone())),
    };
    if long {
        row.problem(
            place(start.0, start.1),
            format!("the field is longer than {MAX_FIELD_BYTES} bytes"),
        );
    }
    let text = match std::str::from_utf8(field) {
        Ok(text) => text.to_string(),
        Err(e) => {
            let good = &field[..e.valid_up_to()];
            // The bad byte's line and column, counted as an editor does.
            let (line, column) = match good.iter().rposition(|b| *b == b'\n') {
                Some(nl) => (
                    start.0 + good.iter().filter(|b| **b == b'\n').count() as u64,
                    String::from_utf8_lossy(&good[nl + 1..]).chars().count() as u64 + 1,
                ),
                None => (
                    start.0,
                    start.1 + quoted as u64 + String::from_utf8_lossy(good).chars().count() as u64,
                ),
            };
            row.problem(
                place(line, column),
                "not UTF-8 text; save the file as UTF-8".into(),
            );
            String::from_utf8_lossy(field).into_owned()
        }
    };
    field.clear();
    row.push(text, start);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::RowReport;

    /// Each row read: its line, its fields, and where each field is.
    type RowsRead = Vec<(u64, Vec<String>, Vec<String>)>;

    fn rows(text: &[u8]) -> (RowsRead, Vec<String>) {
        let mut reader = DataReader::new(Path::new("t.csv"), DataKind::Trend, text);
        let mut row = reader.expect_header(&["a", "b"]).unwrap();
        let mut report = RowReport::default();
        let mut out = Vec::new();
        reader
            .each_row(&mut row, &mut report, |row, _| {
                out.push((
                    row.line,
                    row.fields().map(str::to_string).collect(),
                    (0..row.len()).map(|i| row.at(i).to_string()).collect(),
                ))
            })
            .unwrap();
        (out, report.messages)
    }

    #[test]
    fn rows_know_their_physical_lines_and_columns() {
        let (out, bad) = rows(b"\xEF\xBB\xBFa,b\r\n1,\"x\ny\"\r\n\n\"q\"\"q\", z\n3,4");
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(out[0].0, 2);
        assert_eq!(out[0].1, ["1", "x\ny"]);
        assert_eq!(out[1].0, 5, "the quoted newline and the blank line count");
        assert_eq!(out[1].1, ["q\"q", "z"]);
        assert_eq!(out[1].2, ["line 5, column 1 (a)", "line 5, column 9 (b)"]);
        assert_eq!(out[2].1, ["3", "4"]);
    }

    #[test]
    fn unreadable_fields_are_bad_rows_at_their_place() {
        let (out, bad) = rows(b"a,b\n\xC3\xA9\xC3\xA9,x\xFF\n1,2\n");
        assert_eq!(out.len(), 1);
        assert_eq!(
            bad,
            ["  line 2, column 5 (b): not UTF-8 text; save the file as UTF-8"]
        );
        let long = format!("a,b\n1,{}\n2,\"open\n", "x".repeat(MAX_FIELD_BYTES + 1));
        let (out, bad) = rows(long.as_bytes());
        assert!(out.is_empty());
        assert_eq!(
            bad,
            [
                "  line 2, column 3 (b): the field is longer than 1024 bytes",
                "  line 3, column 3 (b): a quoted field is never closed: the file ends inside its quotes"
            ]
        );
    }

    #[test]
    fn endless_input_is_refused_after_a_bounded_read() {
        let zeros = io::repeat(0);
        let mut reader = DataReader::new(Path::new("/dev/zero"), DataKind::ChangeLog, zeros);
        let e = reader.expect_header(&["a"]).unwrap_err().to_string();
        assert!(
            e.contains("line 1: the row is longer than 65536 bytes"),
            "{e}"
        );
        assert!(reader.read <= 2 * MAX_ROW_BYTES as u64);
        // Endless short lines stop at the kind's size cap.
        let lines = io::repeat(b'\n').take(DataKind::Trend.max_bytes() + 10);
        let mut reader = DataReader::new(Path::new("p"), DataKind::Trend, lines);
        let e = reader.expect_header(&["a"]).unwrap_err().to_string();
        assert!(
            e.contains("is more than 67108864 bytes; a trend file may be at most"),
            "{e}"
        );
    }
}
