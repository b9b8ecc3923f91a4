//! Merge: the CSV files of the shards of one sweep (or schedule) joined into exactly the bytes a
//! single run writes: one header, rows sorted by their index column (`point` or `plan`).
//!
//! The files must have the same header, no index twice, and together every index from 0 up
//! (a missing shard leaves a gap, which is refused); with an expected count, exactly that
//! many.

use super::PlannerError;
use crate::text::{csv_io_error as io_err, csv_writer};

/// Index columns a mergeable table starts with.
pub const INDEX_COLUMNS: [&str; 2] = ["point", "plan"];

/// What a merge joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The merged file's bytes.
    pub bytes: Vec<u8>,
    /// Rows (points or plans).
    pub rows: usize,
    /// The index column's name.
    pub index: String,
}

/// Merges shard tables given as (name for errors, contents).
pub fn merge(inputs: &[(String, Vec<u8>)], expected: Option<u64>) -> Result<Merged, PlannerError> {
    let fail = |m: String| Err(PlannerError::Merge(m));
    if inputs.is_empty() {
        return fail("no shard files to merge".into());
    }
    let mut header: Option<(String, csv::StringRecord)> = None;
    // (index, file number, row)
    let mut rows: Vec<(u64, usize, csv::StringRecord)> = Vec::new();
    for (f, (name, bytes)) in inputs.iter().enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let mut records = reader.records();
        let head = match records.next() {
            None => {
                return fail(format!(
                    "'{name}' is empty; expected a sweep.csv or schedule.csv written by syncsim"
                ))
            }
            Some(Err(e)) => return fail(format!("'{name}' is not CSV: {e}")),
            Some(Ok(h)) => h,
        };
        match &header {
            None => {
                if !INDEX_COLUMNS.contains(&head.get(0).unwrap_or("")) {
                    return fail(format!(
                        "'{name}' does not start with a point or plan column; only sweep.csv and schedule.csv tables (and their shards) can be merged"
                    ));
                }
                header = Some((name.clone(), head));
            }
            Some((first, h)) if *h != head => {
                return fail(format!(
                    "'{name}' has other columns than '{first}'; shards of one run share a header (same scenario, same options but --shard)"
                ))
            }
            Some(_) => {}
        }
        for (line, record) in records.enumerate() {
            let record =
                record.map_err(|e| PlannerError::Merge(format!("'{name}' is not CSV: {e}")))?;
            let index: u64 = record.get(0).and_then(|s| s.parse().ok()).ok_or_else(|| {
                PlannerError::Merge(format!(
                    "'{name}', row {}: '{}' is not a row index",
                    line + 2,
                    record.get(0).unwrap_or("")
                ))
            })?;
            rows.push((index, f, record));
        }
    }
    let (_, head) = header.expect("at least one input");
    rows.sort_by_key(|(i, f, _)| (*i, *f));
    for pair in rows.windows(2) {
        if pair[0].0 == pair[1].0 {
            return fail(format!(
                "{} {} is in both '{}' and '{}'; each shard must be given once",
                &head[0], pair[0].0, inputs[pair[0].1].0, inputs[pair[1].1].0
            ));
        }
    }
    // The first few indices no file holds (at most 11, enough to say "...").
    let mut missing: Vec<u64> = Vec::new();
    let mut next = 0u64;
    for (i, _, _) in &rows {
        missing.extend((next..*i).take(11));
        next = i + 1;
    }
    if let Some(n) = expected {
        missing.extend((next..n).take(11));
    }
    missing.truncate(11);
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().take(10).map(u64::to_string).collect();
        return fail(format!(
            "no file holds {} {}{}; is a shard missing?",
            &head[0],
            list.join(", "),
            if missing.len() > 10 { ", ..." } else { "" }
        ));
    }
    if let Some(n) = expected {
        if rows.len() as u64 != n {
            return fail(format!(
                "the files hold {} rows but --points says {n}",
                rows.len()
            ));
        }
    }
    let mut bytes = Vec::new();
    {
        let mut out = csv_writer(&mut bytes);
        let io = |e: csv::Error| PlannerError::Merge(io_err(e).to_string());
        out.write_record(&head).map_err(io)?;
        for (_, _, r) in &rows {
            out.write_record(r).map_err(io)?;
        }
        out.flush()
            .map_err(|e| PlannerError::Merge(e.to_string()))?;
    }
    Ok(Merged {
        bytes,
        rows: rows.len(),
        index: head[0].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, text: &str) -> (String, Vec<u8>) {
        (name.into(), text.as_bytes().to_vec())
    }

    #[test]
    fn shards_join_sorted_by_index() {
        let m = merge(
            &[
                input("b", "point,x,y\n1,2,\"a,b\"\n3,4,\n"),
                input("a", "point,x,y\n0,1,z\n2,3,never\n"),
            ],
            Some(4),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(m.bytes).unwrap(),
            "point,x,y\n0,1,z\n1,2,\"a,b\"\n2,3,never\n3,4,\n"
        );
        assert_eq!((m.rows, m.index.as_str()), (4, "point"));
    }

    #[test]
    fn gaps_duplicates_and_foreign_headers_are_refused() {
        let err = |inputs: &[(String, Vec<u8>)], n| merge(inputs, n).unwrap_err().to_string();
        let a = input("a", "point,x\n0,1\n2,3\n");
        assert!(err(std::slice::from_ref(&a), None).contains("no file holds point 1"));
        assert!(err(&[a.clone(), input("b", "point,x\n1,1\n")], Some(5)).contains("point 3, 4"));
        assert!(err(&[a.clone(), a.clone()], None).contains("in both 'a' and 'a'"));
        assert!(err(&[a.clone(), input("c", "point,y\n1,1\n")], None).contains("other columns"));
        assert!(err(&[input("d", "x,y\n1,2\n")], None).contains("point or plan"));
        assert!(err(&[input("e", "point,x\nfirst,2\n")], None).contains("not a row index"));
        // A header-only shard (more shards than points) is fine.
        let m = merge(
            &[input("a", "plan,x\n0,1\n"), input("f", "plan,x\n")],
            Some(1),
        )
        .unwrap();
        assert_eq!(m.bytes, b"plan,x\n0,1\n");
    }
}
