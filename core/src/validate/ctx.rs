//! Validation context: turns byte spans into `file:line:column`, dotted key paths and
//! suggestions, so that domain modules only say *what* is wrong and *where* (a span).
//!
//! Every value being validated lives in one [`DeTable`] tree whose spans are byte offsets into
//! the scenario text. Values that came from a variant's `set` keep the spans they have in the
//! file (so errors point at the `set` entry); values from `--set` get spans past the end of the
//! text, one region per override ([`CliRegion`]), so errors can name the override instead.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::error::ScenarioError;
use crate::dist::{Dist, DistSpec};
use crate::util::suggest::{list, nearest, one_of};

/// The text being loaded and where out-of-file values came from.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    /// The scenario file, for messages.
    pub(crate) file: &'a Path,
    /// Its text.
    pub(crate) text: &'a str,
    /// Regions of virtual offsets (all `> text.len()`) given to `--set` values.
    pub(crate) cli: Vec<CliRegion>,
}

/// The virtual span of one `--set` override.
#[derive(Debug)]
pub(crate) struct CliRegion {
    /// Offsets of the override's key and value.
    pub(crate) span: Range<usize>,
    /// The override as the user typed it: `--set PATH=VALUE`, or its own flag such as
    /// `--replications 1000000000`.
    pub(crate) typed: String,
}

impl Source<'_> {
    /// 1-based line and column (in characters) of a byte offset into the text.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    /// The `--set` override an offset belongs to, if it is not in the file.
    fn cli_region(&self, offset: usize) -> Option<&CliRegion> {
        if offset <= self.text.len() {
            return None;
        }
        self.cli.iter().find(|r| r.span.start <= offset && offset <= r.span.end)
    }

    /// An error at `span`, with line, column and (for `--set` values) the override named.
    pub(crate) fn error_at(
        &self,
        span: &Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        let mut e = ScenarioError::new(self.file, message).with_key(key);
        match self.cli_region(span.start) {
            Some(region) => e.message.push_str(&format!(" (from `{}`)", region.typed)),
            None => (e.line, e.column) = self.line_col(span.start),
        }
        e
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text` (clamped to its end).
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    line_col_bytes(text.as_bytes(), offset)
}

/// [`line_col`] for text that may not be valid UTF-8 past `offset`.
pub(crate) fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset.min(bytes.len())).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = before.get(start..).unwrap_or_default().iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
    (line, column)
}

/// Everything needed to report an error about a value of the tree being validated.
#[derive(Clone, Copy, Debug)]
pub struct ValidationCtx<'a> {
    src: &'a Source<'a>,
    tree: &'a DeTable<'a>,
    variant: Option<&'a str>,
    /// Spans of values that came from `[sweep]`, with the swept path each was written under.
    swept: &'a [(Range<usize>, String)],
}

impl<'a> ValidationCtx<'a> {
    /// A context for values of `tree`; `variant` names the variant being applied, if any.
    pub(crate) fn new(src: &'a Source<'a>, tree: &'a DeTable<'a>, variant: Option<&'a str>) -> Self {
        ValidationCtx { src, tree, variant, swept: &[] }
    }

    /// The same context, naming errors inside the `swept` values by their `[sweep]` path
    /// (`<domain>.<table>.<name>.<key>`) rather than by their place in the tree.
    pub(crate) fn with_swept(self, swept: &'a [(Range<usize>, String)]) -> Self {
        ValidationCtx { swept, ..self }
    }

    /// The scenario file being loaded.
    pub(crate) fn file(&self) -> &'a Path {
        self.src.file
    }

    /// The value of `key` in the `[scenario]` table of the tree being validated (e.g. `warmup`),
    /// deserialized; `None` when absent or not a `T`. The tree is the effective one (a variant's,
    /// a sweep point's, with `--set` applied), and `[scenario]` is validated before the domains'
    /// tables, so a domain reading it sees a checked value.
    pub(crate) fn scenario_key<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let value = self.tree.get("scenario")?.get_ref().as_table()?.get(key)?;
        T::deserialize(ValueDeserializer::from(value.clone())).ok()
    }

    /// An error at `span` with an explicit key path.
    pub(crate) fn error_with_key(
        &self,
        span: &Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        let mut e = self.src.error_at(span, key, message);
        e.variant = self.variant.map(str::to_owned);
        e
    }

    /// An error at `span`; the key path is that of the tree node at `span`.
    pub(crate) fn error(&self, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
        self.error_with_key(span, self.key_at(span), message)
    }

    /// Deserializes a raw serde struct from `value`, converting serde's errors.
    pub(crate) fn deserialize<T: DeserializeOwned>(
        &self,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<T, ScenarioError> {
        T::deserialize(ValueDeserializer::from(value.clone())).map_err(|e| self.toml_error(&e, &value.span()))
    }

    /// Validates a distribution.
    pub(crate) fn dist(&self, spec: &Spanned<DistSpec>) -> Result<Dist, ScenarioError> {
        spec.get_ref()
            .resolve(spec.span())
            .map_err(|e| self.error(&e.span, e.message).with_suggestion(e.suggestion))
    }

    /// Checks that names are non-empty and unique within their `kind` (e.g. "source"), and returns
    /// them in order, so that an entity's index is its position.
    pub(crate) fn names<'n, I>(&self, kind: &str, names: I) -> Result<Vec<&'n str>, ScenarioError>
    where
        I: IntoIterator<Item = &'n Spanned<String>>,
    {
        let mut seen: Vec<(&'n str, Range<usize>)> = Vec::new();
        for name in names {
            let span = name.span();
            if name.get_ref().trim().is_empty() {
                return Err(self.error(&span, format!("a {kind} name must not be empty")));
            }
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name.get_ref().as_str()) {
                let (line, _) = self.src.line_col(first.start);
                let at =
                    if first.start <= self.src.text.len() { format!("line {line}") } else { "--set".into() };
                return Err(self.error(
                    &span,
                    format!("duplicate {kind} name `{}` (first defined at {at})", name.get_ref()),
                ));
            }
            seen.push((name.get_ref().as_str(), span));
        }
        Ok(seen.into_iter().map(|(n, _)| n).collect())
    }

    /// The index of `name` among `known` names of `kind`, or an error listing them.
    pub(crate) fn lookup(
        &self,
        kind: &str,
        name: &Spanned<String>,
        known: &[&str],
    ) -> Result<usize, ScenarioError> {
        known.iter().position(|k| *k == name.get_ref().as_str()).ok_or_else(|| {
            self.error(
                &name.span(),
                format!(
                    "unknown {kind} `{}` (known {kind}s: {})",
                    name.get_ref(),
                    list(known.iter().copied())
                ),
            )
            .with_suggestion(nearest(name.get_ref(), known.iter().copied()))
        })
    }

    /// Converts a serde/TOML error; `whole` locates the deserialized value if the error has no
    /// span of its own.
    pub(crate) fn toml_error(&self, e: &toml::de::Error, whole: &Range<usize>) -> ScenarioError {
        let span = e.span().unwrap_or_else(|| whole.clone());
        let h = humanize(e.message());
        let mut key = self.key_at(&span);
        if let Some(missing) = &h.missing {
            push_key(&mut key, missing);
        }
        self.error_with_key(&span, key, h.message).with_suggestion(h.suggestion)
    }

    /// The dotted path of the tree node that best matches `span`: one with exactly this span if
    /// any (the deepest), else the smallest one containing it. Header tables' spans cover only
    /// their header and overridden values keep the spans of their origin, so spans do not nest
    /// like the tree does: the search visits every node.
    ///
    /// Inside a value from `[sweep]`, the key is the swept path, followed by the rest of the
    /// tree path for a part of that value (`<domain>.<table>.<name>.<key>.mean`).
    pub(crate) fn key_at(&self, span: &Range<usize>) -> String {
        let key = self.tree_key(span);
        let Some((value, path)) = self.swept.iter().find(|(r, _)| r.start <= span.start && span.end <= r.end)
        else {
            return key;
        };
        match key.strip_prefix(&self.tree_key(value)) {
            Some(rest) if rest.is_empty() || rest.starts_with(['.', '[']) => format!("{path}{rest}"),
            _ => path.clone(),
        }
    }

    fn tree_key(&self, span: &Range<usize>) -> String {
        let mut best = Best::default();
        let mut path = Vec::new();
        visit_table(self.tree, span, &mut path, &mut best);
        best.path.map(|p| render_path(&p)).unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Elem(String),
}

#[derive(Default)]
struct Best {
    /// (exact, span length, depth) of the best match so far.
    rank: Option<(bool, usize, usize)>,
    path: Option<Vec<Seg>>,
}

impl Best {
    fn offer(&mut self, node: &Range<usize>, span: &Range<usize>, path: &[Seg]) {
        if !(node.start <= span.start && span.end <= node.end) {
            return;
        }
        let rank = (node == span, node.end - node.start, path.len());
        let better = match self.rank {
            None => true,
            Some((exact, len, depth)) => {
                (rank.0 && !exact) || (rank.0 == exact && (rank.1 < len || (rank.1 == len && rank.2 > depth)))
            }
        };
        if better {
            self.rank = Some(rank);
            self.path = Some(path.to_vec());
        }
    }
}

fn visit_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<Seg>, best: &mut Best) {
    for (k, v) in table {
        path.push(Seg::Key(k.get_ref().to_string()));
        best.offer(&k.span(), span, path);
        visit_value(v, span, path, best);
        path.pop();
    }
}

fn visit_value(v: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &mut Vec<Seg>, best: &mut Best) {
    best.offer(&v.span(), span, path);
    match v.get_ref() {
        DeValue::Table(t) => visit_table(t, span, path, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let label = item
                    .get_ref()
                    .as_table()
                    .and_then(|t| t.get("name"))
                    .and_then(|n| n.get_ref().as_str())
                    .map_or_else(|| i.to_string(), str::to_owned);
                path.push(Seg::Elem(label));
                visit_value(item, span, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

fn is_bare(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Appends `key` to a dotted path, quoting it if it is not a bare TOML key.
pub(crate) fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    if is_bare(key) {
        path.push_str(key);
    } else {
        path.push_str(&format!("{key:?}"));
    }
}

fn render_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => push_key(&mut out, k),
            Seg::Elem(label) => out.push_str(&format!("[{label}]")),
        }
    }
    out
}

/// A serde message rewritten for people who write TOML, not Rust.
#[derive(Debug, PartialEq)]
struct Humanized {
    message: String,
    suggestion: Option<String>,
    /// For "missing field" errors: the missing key, to append to the table's path.
    missing: Option<String>,
}

/// Words between backticks, in order.
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn humanize(message: &str) -> Humanized {
    let plain = |message: String| Humanized { message, suggestion: None, missing: None };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let words = backticked(rest);
        let (found, expected) = words.split_first().map_or(("", &[][..]), |(f, e)| (*f, e));
        let what = if expected.is_empty() {
            "this table takes no keys".to_owned()
        } else {
            format!("expected {}", one_of(expected.iter().copied()))
        };
        return Humanized {
            message: format!("unknown key `{found}` ({what})"),
            suggestion: nearest(found, expected.iter().copied()).map(str::to_owned),
            missing: None,
        };
    }
    if let Some(rest) = message.strip_prefix("unexpected keys in table: ") {
        let (found, expected) = rest.split_once(", available keys: ").unwrap_or((rest, ""));
        let found = found.split(", ").next().unwrap_or_default();
        let expected: Vec<&str> = expected.split(", ").filter(|s| !s.is_empty()).collect();
        return Humanized {
            message: format!("unknown key `{found}` (expected {})", one_of(expected.iter().copied())),
            suggestion: nearest(found, expected.iter().copied()).map(str::to_owned),
            missing: None,
        };
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = backticked(rest).first().map_or_else(|| rest.to_owned(), |f| (*f).to_owned());
        return Humanized {
            message: format!("missing required key `{field}`"),
            suggestion: None,
            missing: Some(field),
        };
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            let expected = expected_words(expected);
            let found = found_words(found);
            let hint = if expected == "an array" && found == "a table" {
                " (write `[[...]]` headers for an array of tables)"
            } else {
                ""
            };
            return plain(format!("expected {expected}, found {found}{hint}"));
        }
    }
    plain(message.to_owned())
}

fn expected_words(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" => {
            let max = match expected {
                "u8" => u64::from(u8::MAX),
                "u16" => u64::from(u16::MAX),
                _ => u64::from(u32::MAX),
            };
            format!("an integer from 0 to {max}")
        }
        "u64" | "usize" => "an integer >= 0".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "a table".to_owned(),
        s if s.starts_with("struct ") => "a table".to_owned(),
        s => s.to_owned(),
    }
}

fn found_words(found: &str) -> String {
    let quoted = backticked(found);
    match (found.split([' ', '`']).next().unwrap_or_default(), quoted.first()) {
        ("integer" | "floating", Some(n)) => (*n).to_owned(),
        ("boolean", Some(b)) => (*b).to_owned(),
        ("string", _) => found.replacen("string ", "the string ", 1),
        ("sequence", _) => "an array".to_owned(),
        ("map", _) => "a table".to_owned(),
        _ => found.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 4), (1, 5));
        assert_eq!(line_col(text, 6), (2, 1));
        // "bé = " is 6 bytes but 5 characters: the value starts in column 6.
        assert_eq!(line_col(text, 12), (2, 6));
        assert_eq!(line_col(text, 1000), (3, 1), "clamped to the end");
    }

    #[test]
    fn humanizes_serde_messages() {
        let h = humanize("unknown field `horizn`, expected one of `name`, `horizon`, `warmup`");
        assert_eq!(h.message, "unknown key `horizn` (expected one of `name`, `horizon`, `warmup`)");
        assert_eq!(h.suggestion.as_deref(), Some("horizon"));
        let h = humanize("unknown field `nme`, expected `name`");
        assert_eq!(h.suggestion.as_deref(), Some("name"));
        let h = humanize("unknown field `x`, there are no fields");
        assert_eq!(h.message, "unknown key `x` (this table takes no keys)");
        let h = humanize("unexpected keys in table: nme, available keys: name, set");
        assert_eq!(h.message, "unknown key `nme` (expected one of `name`, `set`)");
        assert_eq!(h.suggestion.as_deref(), Some("name"));
        let h = humanize("missing field `name`");
        assert_eq!((h.message.as_str(), h.missing.as_deref()), ("missing required key `name`", Some("name")));
        assert_eq!(
            humanize("invalid type: string \"two\", expected u32").message,
            "expected an integer from 0 to 4294967295, found the string \"two\""
        );
        assert_eq!(
            humanize("invalid value: integer `-1`, expected u32").message,
            "expected an integer from 0 to 4294967295, found -1"
        );
        assert_eq!(
            humanize("invalid type: floating point `1.5`, expected u64").message,
            "expected an integer >= 0, found 1.5"
        );
        assert_eq!(
            humanize("invalid type: map, expected a sequence").message,
            "expected an array, found a table (write `[[...]]` headers for an array of tables)"
        );
        assert_eq!(humanize("something else").message, "something else");
    }

    #[test]
    fn renders_paths() {
        let p = [
            Seg::Key("factory".into()),
            Seg::Key("station".into()),
            Seg::Elem("mill".into()),
            Seg::Key("machines".into()),
        ];
        assert_eq!(render_path(&p), "factory.station[mill].machines");
        let p = [Seg::Key("set".into()), Seg::Key("factory.station.mill.machines".into())];
        assert_eq!(render_path(&p), "set.\"factory.station.mill.machines\"");
    }
}
