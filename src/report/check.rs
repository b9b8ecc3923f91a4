//! Reports of `syncsim check`: the terminal table, JUnit XML (one test case per expectation)
//! and the full results as JSON.

use std::io::{self, Write};

use crate::check::{CheckRun, Drift, ScenarioCheck};
use crate::text::{json_number, metric_text, num};

/// A value of `metric` in the unit that reads best ([`metric_text`]): `10.7 h`, not hours
/// with six decimals.
fn actual_text(metric: &str, v: Option<f64>) -> String {
    metric_text(metric, v)
}

/// The table: scenario, expectation, bound, actual, result.
pub fn write_table(checks: &[ScenarioCheck], w: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 5]> = checks
        .iter()
        .flat_map(|c| {
            c.expectations.iter().flat_map(move |(name, verdicts)| {
                verdicts.iter().map(move |v| {
                    [
                        c.scenario.name.clone(),
                        name.clone(),
                        v.condition.to_string(),
                        actual_text(&v.condition.metric, v.actual),
                        if v.pass { "pass".into() } else { "FAIL".into() },
                    ]
                })
            })
        })
        .collect();
    let header = ["scenario", "expectation", "bound", "actual", "result"];
    let mut width = header.map(str::len);
    for r in &rows {
        for (i, cell) in r.iter().enumerate() {
            width[i] = width[i].max(cell.len());
        }
    }
    let line = |cells: [&str; 5]| {
        format!(
            "{:w0$}  {:w1$}  {:w2$}  {:>w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3]
        )
    };
    writeln!(w, "{}", line(header))?;
    for r in &rows {
        writeln!(w, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]))?;
    }
    let failed = rows.iter().filter(|r| r[4] == "FAIL").count();
    let without: Vec<&str> = checks
        .iter()
        .filter(|c| c.expectations.is_empty())
        .map(|c| c.scenario.name.as_str())
        .collect();
    writeln!(
        w,
        "\n{} expectations in {} scenarios: {} passed, {} failed",
        rows.len(),
        checks.len(),
        rows.len() - failed,
        failed
    )?;
    if !without.is_empty() {
        writeln!(
            w,
            "scenarios without expectations (run, nothing asserted): {}",
            without.join(", ")
        )?;
    }
    Ok(())
}

/// The drift table of one scenario against its baseline.
pub fn write_drift(
    scenario: &str,
    drifts: &[Drift],
    tolerance: f64,
    w: &mut dyn Write,
) -> io::Result<()> {
    if drifts.is_empty() {
        return writeln!(
            w,
            "{scenario}: no metric moved more than {}% from the baseline",
            num(tolerance * 100.0)
        );
    }
    writeln!(
        w,
        "{scenario}: {} metrics moved more than {}% from the baseline",
        drifts.len(),
        num(tolerance * 100.0)
    )?;
    for d in drifts {
        let rel = d
            .relative
            .map_or_else(String::new, |r| format!(" ({:+.1}%)", r * 100.0));
        writeln!(
            w,
            "  {:8} {}: {} -> {}{rel}",
            d.verdict.label(),
            d.metric,
            actual_text(&d.metric, d.baseline),
            actual_text(&d.metric, d.current)
        )?;
    }
    Ok(())
}

/// Escapes text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a test suite per scenario, a test case per expectation, a failure element for
/// each that does not hold (the conditions that failed, with actual values).
pub fn write_junit(checks: &[ScenarioCheck], w: &mut dyn Write) -> io::Result<()> {
    let total: usize = checks.iter().map(|c| c.expectations.len()).sum();
    let failures: usize = checks
        .iter()
        .map(|c| {
            c.expectations
                .iter()
                .filter(|(_, v)| v.iter().any(|v| !v.pass))
                .count()
        })
        .sum();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="syncsim check" tests="{total}" failures="{failures}" errors="0">"#
    )?;
    for c in checks {
        let failed = c
            .expectations
            .iter()
            .filter(|(_, v)| v.iter().any(|v| !v.pass))
            .count();
        writeln!(
            w,
            r#"  <testsuite name="{}" tests="{}" failures="{failed}" errors="0" skipped="0">"#,
            xml_escape(&c.scenario.name),
            c.expectations.len()
        )?;
        for (name, verdicts) in &c.expectations {
            let text: Vec<String> = verdicts.iter().map(|v| v.condition.to_string()).collect();
            let case_name = format!("{name}: {}", text.join(" and "));
            let bad: Vec<String> = verdicts
                .iter()
                .filter(|v| !v.pass)
                .map(|v| {
                    format!(
                        "{} (actual {})",
                        v.condition,
                        actual_text(&v.condition.metric, v.actual)
                    )
                })
                .collect();
            if bad.is_empty() {
                writeln!(
                    w,
                    r#"    <testcase classname="{}" name="{}"/>"#,
                    xml_escape(&c.scenario.name),
                    xml_escape(&case_name)
                )?;
            } else {
                writeln!(
                    w,
                    r#"    <testcase classname="{}" name="{}">"#,
                    xml_escape(&c.scenario.name),
                    xml_escape(&case_name)
                )?;
                writeln!(
                    w,
                    r#"      <failure type="expectation" message="{}">{}</failure>"#,
                    xml_escape(&bad.join("; ")),
                    xml_escape(&format!(
                        "scenario file {}, {} replications",
                        c.file, c.replications
                    ))
                )?;
                writeln!(w, "    </testcase>")?;
            }
        }
        writeln!(w, "  </testsuite>")?;
    }
    writeln!(w, "</testsuites>")
}

/// The full results as JSON: every scenario, expectation, condition and metric value, and
/// any baseline drift.
pub fn write_json(run: &CheckRun, w: &mut dyn Write) -> io::Result<()> {
    let checks = &run.checks;
    let value = |x: Option<f64>| x.map_or(serde_json::Value::Null, json_number);
    let scenarios: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            let expectations: Vec<serde_json::Value> = c
                .expectations
                .iter()
                .map(|(name, verdicts)| {
                    serde_json::json!({
                        "name": name,
                        "pass": verdicts.iter().all(|v| v.pass),
                        "conditions": verdicts.iter().map(|v| serde_json::json!({
                            "expression": v.condition.to_string(),
                            "metric": v.condition.metric,
                            "statistic": v.condition.stat.to_string(),
                            "bound": value(v.condition.bound),
                            "actual": value(v.actual),
                            "pass": v.pass,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let drift: Vec<serde_json::Value> = run
                .drifts
                .iter()
                .filter(|d| d.scenario == c.scenario.name)
                .flat_map(|d| d.drifts.iter())
                .map(|d| serde_json::json!({
                    "metric": d.metric,
                    "baseline": value(d.baseline),
                    "current": value(d.current),
                    "relative": value(d.relative),
                    "verdict": d.verdict.label(),
                }))
                .collect();
            serde_json::json!({
                "scenario": c.scenario.name,
                "file": c.file,
                "replications": c.replications,
                "pass": c.passed(),
                "expectations": expectations,
                "metrics": c.values.iter().map(|(k, v)| (k.clone(), value(*v))).collect::<serde_json::Map<_, _>>(),
                "drift": drift,
            })
        })
        .collect();
    let (passed, total) = run.expectations_passed();
    serde_json::to_writer_pretty(
        &mut *w,
        &serde_json::json!({"passed": passed, "failed": total - passed, "scenarios": scenarios}),
    )?;
    w.write_all(b"\n")
}
