//! The page: a scenario picker, the form of the picked scenario (one labelled control per
//! knob of [`syncsim::whatif::fields`], with its unit, its allowed range and a place for
//! its error), and the results area the script fills in: progress, the answers beside the
//! baseline's, the downloads and the two dashboards side by side.
//!
//! Rendered on the server; the script (`assets/serve/page.js`) and stylesheet
//! (`assets/serve/page.css`) are embedded in the binary, so the page needs nothing from the
//! network. Everything from the scenario is escaped.

use std::fmt::Write as _;

use syncsim::load::ScenarioFile;
use syncsim::report::charts::escape_xml as esc;
use syncsim::whatif::{self, Field, FieldKind, Section};

use super::api::App;

/// The page's script.
pub const SCRIPT: &str = include_str!("../../../assets/serve/page.js");
/// The page's stylesheet.
pub const STYLESHEET: &str = include_str!("../../../assets/serve/page.css");

/// A field's element id: its key with every character but letters and digits as `-`.
fn id_of(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// One labelled control, its unit, what is allowed and the place for its error.
fn control(o: &mut String, f: &Field) {
    let id = id_of(&f.key);
    let described = format!("h-{id} e-{id}");
    let key = esc(&f.key);
    let value = esc(&f.value);
    let input = match &f.kind {
        FieldKind::Choice(choices) => {
            let mut s = format!(
                "<select id=\"f-{id}\" name=\"{key}\" aria-describedby=\"{described}\" data-initial=\"{value}\">"
            );
            for c in choices {
                let selected = if *c == f.value { " selected" } else { "" };
                let _ = write!(s, "<option value=\"{0}\"{selected}>{0}</option>", esc(c));
            }
            s.push_str("</select>");
            s
        }
        FieldKind::Whole { min, max } => format!(
            "<input id=\"f-{id}\" name=\"{key}\" type=\"number\" inputmode=\"numeric\" step=\"1\" \
             min=\"{min}\" max=\"{max}\" value=\"{value}\" data-initial=\"{value}\" \
             aria-describedby=\"{described}\">"
        ),
        FieldKind::Number { min, max } => format!(
            "<input id=\"f-{id}\" name=\"{key}\" type=\"number\" inputmode=\"decimal\" step=\"any\" \
             min=\"{min}\" max=\"{max}\" value=\"{value}\" data-initial=\"{value}\" \
             aria-describedby=\"{described}\">"
        ),
        FieldKind::Duration { .. } | FieldKind::Order(_) => format!(
            "<input id=\"f-{id}\" name=\"{key}\" type=\"text\" spellcheck=\"false\" \
             autocomplete=\"off\" value=\"{value}\" data-initial=\"{value}\" \
             aria-describedby=\"{described}\">"
        ),
    };
    let unit = if f.unit.is_empty() {
        String::new()
    } else {
        format!("<span class=\"unit\">{}</span>", esc(f.unit))
    };
    let _ = writeln!(
        o,
        "<div class=\"field\" data-key=\"{key}\">\n<label for=\"f-{id}\">{}</label>\n\
         <div class=\"control\">{input}{unit}</div>\n<p class=\"hint\" id=\"h-{id}\">{}</p>\n\
         <p class=\"error\" id=\"e-{id}\" role=\"alert\" hidden></p>\n</div>",
        esc(&f.label),
        esc(&f.allowed)
    );
}

/// The form of a scenario: its fields by section, the number of runs, the buttons.
fn form(o: &mut String, file_name: &str, fields: &[Field], max_replications: u64) {
    let _ = writeln!(
        o,
        "<form id=\"whatif\" novalidate data-scenario=\"{}\">\n\
         <div id=\"form-errors\" class=\"errors\" role=\"alert\" hidden></div>",
        esc(file_name)
    );
    let mut open: Option<&Section> = None;
    for f in fields {
        if open != Some(&f.section) {
            if open.is_some() {
                o.push_str("</fieldset>\n");
            }
            let legend = match &f.section {
                Section::Sync => "The sync".to_string(),
                Section::Event { name, object } => format!("Bulk update {name} ({object})"),
                Section::Object(name) => format!("Object {name}"),
            };
            let _ = writeln!(o, "<fieldset>\n<legend>{}</legend>", esc(&legend));
            open = Some(&f.section);
        }
        control(o, f);
    }
    if open.is_some() {
        o.push_str("</fieldset>\n");
    }
    let _ = writeln!(
        o,
        "<fieldset>\n<legend>Runs</legend>\n<div class=\"field\" data-key=\"replications\">\n\
         <label for=\"f-replications\">Replications</label>\n<div class=\"control\">\
         <input id=\"f-replications\" name=\"replications\" type=\"number\" inputmode=\"numeric\" \
         step=\"1\" min=\"1\" max=\"{max_replications}\" value=\"1\" data-initial=\"1\" \
         aria-describedby=\"h-replications e-replications\"><span class=\"unit\">runs of each, \
         the same seeds</span></div>\n<p class=\"hint\" id=\"h-replications\">1 (a single run) \
         to {max_replications}; with more, the answers are means with 95% confidence \
         intervals</p>\n<p class=\"error\" id=\"e-replications\" role=\"alert\" hidden></p>\n\
         </div>\n</fieldset>\n<div class=\"actions\">\
         <button type=\"submit\" id=\"run\">Run</button>\
         <button type=\"button\" id=\"stop\" disabled>Stop</button>\
         <button type=\"button\" id=\"reset\">Back to the file's values</button></div>\n</form>"
    );
}

/// The whole page, with scenario `picked` (or the folder's first) open.
pub fn render(app: &App, picked: Option<&str>) -> String {
    let names = app.scenarios();
    let chosen = picked
        .and_then(|p| names.iter().find(|n| *n == p))
        .or_else(|| names.first())
        .cloned();
    let mut o = String::with_capacity(32 * 1024);
    let title = chosen.as_deref().unwrap_or("no scenario");
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>What if: {} - syncsim</title>\n<link rel=\"stylesheet\" href=\"/assets/page.css\">\n\
         <script src=\"/assets/page.js\" defer></script>\n</head>\n<body>\n\
         <header class=\"bar\">\n<h1>syncsim <span>what if</span></h1>\n\
         <form class=\"pick\" method=\"get\" action=\"/\">\n<label for=\"scenario\">Scenario</label>\n\
         <select id=\"scenario\" name=\"scenario\">",
        esc(title)
    );
    for n in &names {
        let selected = if Some(n) == chosen.as_ref() {
            " selected"
        } else {
            ""
        };
        let _ = write!(o, "<option value=\"{0}\"{selected}>{0}</option>", esc(n));
    }
    let _ = writeln!(
        o,
        "</select>\n<button type=\"submit\">Open</button>\n</form>\n<p class=\"folder\">{} \
         scenario{} in <code>{}</code></p>\n</header>\n<main>",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        esc(&app.settings().folder_shown)
    );
    let Some(file_name) = chosen else {
        let _ = writeln!(
            o,
            "<section class=\"knobs\"><h2>No scenario</h2><p>The folder holds no <code>.toml</code> \
             file. Put scenario files in it (see <code>docs/scenario.md</code>) and reload.</p>\
             </section>\n</main>\n</body>\n</html>"
        );
        return o;
    };
    let loaded = app
        .scenario_path(&file_name)
        .ok_or_else(|| "the file is no longer in the folder".to_string())
        .and_then(|path| ScenarioFile::read(&path).map_err(|e| e.to_string()))
        .and_then(|file| file.scenario(&[]).map_err(|e| e.to_string()));
    o.push_str("<section class=\"knobs\" aria-labelledby=\"knobs-h\">\n");
    match loaded {
        Ok(sc) => {
            let _ = writeln!(
                o,
                "<h2 id=\"knobs-h\">{}</h2>\n<p class=\"desc\">{}</p>\n<p class=\"note\">Change a \
                 value: the variant runs at once beside the file as written (the baseline), with \
                 the same seed. Values are checked as <code>syncsim run --set</code> checks \
                 them.</p>",
                esc(&sc.name),
                esc(&sc.description)
            );
            form(
                &mut o,
                &file_name,
                &whatif::fields(&sc),
                app.settings().max_replications,
            );
        }
        Err(message) => {
            let _ = writeln!(
                o,
                "<h2 id=\"knobs-h\">{}</h2>\n<p class=\"errors\" role=\"alert\">This scenario \
                 cannot be run: {}</p>",
                esc(&file_name),
                esc(&message)
            );
        }
    }
    o.push_str("</section>\n");
    let _ = writeln!(
        o,
        "<section class=\"results\" aria-labelledby=\"results-h\">\n\
         <h2 id=\"results-h\">Baseline and variant</h2>\n\
         <div class=\"progress\"><progress id=\"progress\" max=\"1\" value=\"0\" hidden></progress>\
         <p id=\"status\" role=\"status\" aria-live=\"polite\">Starting the baseline\u{2026}</p></div>\n\
         <div id=\"answers\" aria-live=\"polite\"></div>\n\
         <nav id=\"downloads\" aria-label=\"Downloads\" hidden></nav>\n\
         <div class=\"dashboards\">\n\
         <figure><figcaption>Baseline: <code>{0}</code> as written</figcaption>\
         <iframe id=\"baseline-frame\" title=\"Dashboard of the baseline\" sandbox=\"allow-same-origin\"></iframe></figure>\n\
         <figure><figcaption>Variant: with your changes</figcaption>\
         <iframe id=\"variant-frame\" title=\"Dashboard of the variant\" sandbox=\"allow-same-origin\"></iframe></figure>\n\
         </div>\n</section>\n</main>\n<footer>syncsim {1}: the same scenario, seed and program \
         version give the same numbers. Stop the server with Ctrl-C in its terminal.</footer>\n\
         </body>\n</html>",
        esc(&file_name),
        env!("CARGO_PKG_VERSION")
    );
    o
}
