//! TOML syntax errors: located, with a best guess at the dotted key they are in.

use std::path::Path;

use crate::validate::{ScenarioError, line_col};

/// A TOML syntax error, located; the key is guessed from the surrounding lines.
pub(super) fn syntax_error(path: &Path, text: &str, e: &toml::de::Error) -> ScenarioError {
    let offset = e.span().map_or(0, |s| s.start);
    let mut err =
        ScenarioError::new(path, format!("invalid TOML: {}", e.message())).with_key(syntax_key(text, offset));
    (err.line, err.column) = line_col(text, offset);
    err
}

/// Best-effort dotted key of the line holding `offset`: the last table header above it (with
/// the element's `name` for arrays of tables) and the key before `=` on the line itself.
fn syntax_key(text: &str, offset: usize) -> String {
    let end = text.get(..offset.min(text.len())).map_or(0, |before| before.matches('\n').count());
    let lines: Vec<&str> = text.lines().take(end + 1).collect();
    let bare = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-.\" ".contains(c)))
            .then(|| s.replace(' ', ""))
    };
    let mut key = String::new();
    let header_at = lines.iter().rposition(|l| l.trim_start().starts_with('['));
    if let Some(h) = header_at {
        let header = lines.get(h).map_or("", |l| l.trim());
        let array = header.starts_with("[[");
        let name = header.trim_start_matches('[').split(']').next().unwrap_or_default();
        if let Some(name) = bare(name) {
            key = name;
            if array {
                let elem = lines.iter().skip(h + 1).find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == "name").then(|| v.trim().trim_matches('"').to_owned())
                });
                if let Some(elem) = elem {
                    key.push_str(&format!("[{elem}]"));
                }
            }
        }
    }
    let line = lines.last().copied().unwrap_or_default();
    if header_at != Some(lines.len().saturating_sub(1))
        && let Some((k, _)) = line.split_once('=')
        && let Some(k) = bare(k)
    {
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(&k);
    }
    key
}
