//! Dotted-path overrides: `--set PATH=VALUE` on the command line and `set` in variants.
//!
//! A path is a list of keys separated by dots (`<domain>.<table>.<name>.<key>`, `experiment.seed`); a key
//! containing a dot can be double-quoted (`<domain>.<table>."m.1".<key>`). Walking the path:
//!
//! - in a table, a key selects its value; a missing *intermediate* key is created as an empty
//!   table, so that optional tables (e.g. `[experiment]`) can be set even when absent — a
//!   misspelt key then fails validation as an unknown key, with the expected keys listed;
//! - in an array of tables, a key selects the element whose `name` equals it; no such element
//!   is an error listing the names there are;
//! - the final key is replaced, or created if missing (so `<domain>.<table>.<name>.<key>` can add
//!   a buffer);
//! - anything else (walking into a number, an array of plain values) is an error.

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::util::suggest::{list, nearest};
use crate::validate::ScenarioError;

/// A command-line override `--set PATH=VALUE`, applied to the baseline and so to every variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted path, e.g. `experiment.seed` or `<domain>.<table>.<name>.<key>`.
    pub path: String,
    /// The new value.
    pub value: toml::Value,
    /// What the user typed, when the override comes from a flag of its own rather than
    /// `--set PATH=VALUE` (e.g. `--replications 1000000000`): errors about the value name it,
    /// since naming a `--set` the user never typed would send them looking for it.
    pub flag: Option<String>,
}

impl Override {
    /// The override made by a dedicated flag, typed as `flag` (e.g. `--seed 7`), that sets
    /// `path` to `value`.
    pub fn from_flag(flag: impl Into<String>, path: impl Into<String>, value: toml::Value) -> Override {
        Override { path: path.into(), value, flag: Some(flag.into()) }
    }

    /// How the user gave this override on the command line, for messages: the flag typed, or
    /// `--set PATH=VALUE` with the value as TOML.
    pub fn as_typed(&self) -> String {
        self.flag.clone().unwrap_or_else(|| format!("--set {}={}", self.path, self.value))
    }

    /// Parses `PATH=VALUE`. `VALUE` is read as a TOML value (`2`, `1.5`, `"x"`, `true`,
    /// `[1, 2]`, `{ dist = "exponential", mean = 1 }`); if it is not valid TOML it is taken as
    /// a bare string, so `--set scenario.name=fast` works without quotes.
    ///
    /// # Errors
    /// If there is no `=` or the path is malformed (empty, empty key, unclosed quote).
    pub fn parse(arg: &str) -> Result<Override, ScenarioError> {
        let example = "expected PATH=VALUE, e.g. `factory.station.mill.machines=2`";
        let Some(eq) = find_unquoted(arg, '=') else {
            return Err(ScenarioError::new("", format!("{example}, found `{arg}`")));
        };
        let (path, value) =
            (arg.get(..eq).unwrap_or_default().trim(), arg.get(eq + 1..).unwrap_or_default().trim());
        split_path(path)
            .map_err(|m| ScenarioError::new("", format!("{m} in `{arg}` ({example})")).with_key(path))?;
        let value = parse_value(value).unwrap_or_else(|| toml::Value::String(value.to_owned()));
        Ok(Override { path: path.to_owned(), value, flag: None })
    }
}

/// `text` as a TOML value, if it is one.
fn parse_value(text: &str) -> Option<toml::Value> {
    let de = toml::de::ValueDeserializer::parse(text).ok()?;
    toml::Value::deserialize(de).ok()
}

/// Byte index of the first `c` outside double quotes.
fn find_unquoted(s: &str, c: char) -> Option<usize> {
    let mut quoted = false;
    for (i, ch) in s.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            _ if ch == c && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Paths longer than this are refused: every key may create a nested table, and validation
/// walks the tree recursively, so an absurdly deep path must not reach it.
const MAX_PATH_KEYS: usize = 32;

/// Splits a dotted path into keys.
///
/// # Errors
/// A message if the path is empty, has an empty key, an unclosed quote or too many keys.
pub(crate) fn split_path(path: &str) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut rest = path.trim();
    if rest.is_empty() {
        return Err("empty path".into());
    }
    loop {
        let (key, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(|| format!("unclosed quote in path `{path}`"))?;
            let key = quoted.get(..end).unwrap_or_default();
            let after = quoted.get(end + 1..).unwrap_or_default().trim_start();
            if !(after.is_empty() || after.starts_with('.')) {
                return Err(format!("expected `.` after a quoted key in path `{path}`"));
            }
            (key.to_owned(), after)
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let key = rest.get(..end).unwrap_or_default().trim();
            if key.is_empty() {
                return Err(format!("empty key in path `{path}`"));
            }
            (key.to_owned(), rest.get(end..).unwrap_or_default())
        };
        keys.push(key);
        if keys.len() > MAX_PATH_KEYS {
            return Err(format!("path has more than {MAX_PATH_KEYS} keys"));
        }
        match after.strip_prefix('.') {
            Some(next) => rest = next.trim_start(),
            None => return Ok(keys),
        }
    }
}

/// Renders keys back into a dotted path, quoting keys that contain dots or spaces.
pub(crate) fn join_path(keys: &[String]) -> String {
    let mut out = String::new();
    for key in keys {
        if !out.is_empty() {
            out.push('.');
        }
        if key.is_empty() || key.contains(['.', '"', ' ']) {
            out.push_str(&format!("\"{key}\""));
        } else {
            out.push_str(key);
        }
    }
    out
}

/// One key of a path, with the location errors about it should point at.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PathKey {
    pub(crate) name: String,
    pub(crate) span: Range<usize>,
}

/// Splits `path` into keys that all point at `span` (for `--set`, which has no finer location).
pub(crate) fn keys_at(path: &str, span: &Range<usize>) -> Result<Vec<PathKey>, String> {
    Ok(split_path(path)?.into_iter().map(|name| PathKey { name, span: span.clone() }).collect())
}

/// Splits one TOML key of a variant's `set` (written at `span` of `text`) into path keys. When
/// the key is written plainly (`"a.b.c"` or bare `a`), each key points at its own characters,
/// so an error about `c` underlines `c`; otherwise every key points at the whole TOML key.
pub(crate) fn keys_in(text: &str, key: &str, span: &Range<usize>) -> Result<Vec<PathKey>, String> {
    let names = split_path(key)?;
    let raw = text.get(span.clone()).unwrap_or_default();
    let start = if raw == key {
        Some(span.start)
    } else if raw.len() == key.len() + 2 && raw.get(1..raw.len() - 1) == Some(key) {
        Some(span.start + 1)
    } else {
        None
    };
    let exact = start.filter(|_| {
        !key.contains(['"', ' '])
            && names.iter().map(String::len).sum::<usize>() + names.len() == key.len() + 1
    });
    Ok(match exact {
        Some(mut at) => names
            .into_iter()
            .map(|name| {
                let key = PathKey { span: at..at + name.len(), name };
                at = key.span.end + 1;
                key
            })
            .collect(),
        None => names.into_iter().map(|name| PathKey { name, span: span.clone() }).collect(),
    })
}

/// Why a path could not be applied.
#[derive(Debug, PartialEq)]
pub(crate) struct PathError {
    pub(crate) message: String,
    pub(crate) suggestion: Option<String>,
    /// Where to point: the key that could not be followed.
    pub(crate) span: Range<usize>,
}

fn names(keys: &[PathKey]) -> String {
    join_path(&keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>())
}

/// Sets `keys` in `root` to `value`. Created keys and tables get the span of their path key, so
/// errors about them point at the override.
pub(crate) fn apply<'i>(
    root: &mut DeTable<'i>,
    keys: &[PathKey],
    value: Spanned<DeValue<'i>>,
) -> Result<(), PathError> {
    set_in_table(root, keys, 0, value)
}

/// The value at `names` in `root` (named elements of arrays of tables by their `name`), if the
/// path is written there.
pub(crate) fn get<'a, 'i>(root: &'a DeTable<'i>, names: &[String]) -> Option<&'a Spanned<DeValue<'i>>> {
    let (first, rest) = names.split_first()?;
    let mut node = root.get(first.as_str())?;
    for name in rest {
        node = match node.get_ref() {
            DeValue::Table(t) => t.get(name.as_str())?,
            DeValue::Array(items) => items.iter().find(|item| {
                item.get_ref().as_table().and_then(|t| t.get("name")).and_then(|n| n.get_ref().as_str())
                    == Some(name.as_str())
            })?,
            _ => return None,
        };
    }
    Some(node)
}

fn set_in_table<'i>(
    table: &mut DeTable<'i>,
    keys: &[PathKey],
    done: usize,
    value: Spanned<DeValue<'i>>,
) -> Result<(), PathError> {
    let Some(key) = keys.get(done) else {
        return Err(PathError { message: "empty path".into(), suggestion: None, span: 0..0 });
    };
    let new_key = || Spanned::new(key.span.clone(), Cow::Owned(key.name.clone()));
    if done + 1 == keys.len() {
        match table.get_mut(key.name.as_str()) {
            // Keep the existing key (and its span): only the value changes.
            Some(slot) => *slot = value,
            None => {
                table.insert(new_key(), value);
            }
        }
        return Ok(());
    }
    if !table.contains_key(key.name.as_str()) {
        table.insert(new_key(), Spanned::new(key.span.clone(), DeValue::Table(DeTable::new())));
    }
    match table.get_mut(key.name.as_str()) {
        Some(child) => set_in_value(child.get_mut(), keys, done + 1, value),
        None => Err(PathError {
            message: format!("cannot create `{}`", names(keys.get(..=done).unwrap_or_default())),
            suggestion: None,
            span: key.span.clone(),
        }),
    }
}

fn set_in_value<'i>(
    node: &mut DeValue<'i>,
    keys: &[PathKey],
    done: usize,
    value: Spanned<DeValue<'i>>,
) -> Result<(), PathError> {
    let here = names(keys.get(..done).unwrap_or_default());
    let Some(key) = keys.get(done) else {
        return Err(PathError { message: "empty path".into(), suggestion: None, span: 0..0 });
    };
    let fail = |message: String, suggestion: Option<String>| PathError {
        message,
        suggestion,
        span: key.span.clone(),
    };
    match node {
        DeValue::Table(table) => set_in_table(table, keys, done, value),
        DeValue::Array(items) if items.iter().all(|item| item.get_ref().is_table()) => {
            let name_of = |item: &Spanned<DeValue<'i>>| -> Option<String> {
                item.get_ref().as_table()?.get("name")?.get_ref().as_str().map(str::to_owned)
            };
            let known: Vec<String> = items.iter().filter_map(name_of).collect();
            let Some(element) =
                items.iter_mut().find(|item| name_of(item).as_deref() == Some(key.name.as_str()))
            else {
                let message = if known.is_empty() {
                    format!("`{here}` has no element named `{}` (it has no named elements)", key.name)
                } else {
                    format!(
                        "`{here}` has no element named `{}` (known: {})",
                        key.name,
                        list(known.iter().map(String::as_str))
                    )
                };
                return Err(fail(
                    message,
                    nearest(&key.name, known.iter().map(String::as_str)).map(str::to_owned),
                ));
            };
            if done + 1 == keys.len() {
                *element = value;
                Ok(())
            } else {
                set_in_value(element.get_mut(), keys, done + 1, value)
            }
        }
        DeValue::Array(_) => Err(fail(
            format!("`{here}` is an array of values, not of tables: set the whole array with `{here}`"),
            None,
        )),
        other => Err(fail(
            format!(
                "`{here}` is {}, not a table, so it has no key `{}`",
                article(other.type_str()),
                key.name
            ),
            None,
        )),
    }
}

fn article(type_str: &str) -> String {
    let vowel = type_str.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {type_str}", if vowel { "an" } else { "a" })
}

/// Moves every span of `value` by `by` bytes: `--set` values are parsed from their own text and
/// placed in a virtual region past the end of the file.
pub(crate) fn shift<'i>(value: Spanned<DeValue<'i>>, by: usize) -> Spanned<DeValue<'i>> {
    let moved = |r: Range<usize>| r.start.saturating_add(by)..r.end.saturating_add(by);
    let span = moved(value.span());
    let inner = match value.into_inner() {
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(k, v)| (Spanned::new(moved(k.span()), k.into_inner()), shift(v, by)))
                .collect(),
        ),
        DeValue::Array(items) => DeValue::Array(items.into_iter().map(|v| shift(v, by)).collect()),
        other => other,
    };
    Spanned::new(span, inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Defect 7: an override made by `--replications` names that flag in errors, not a
    /// `--set experiment.replications=…` the user never typed.
    #[test]
    fn defect_7_errors_name_the_flag_typed() {
        let text = "[scenario]\nname = \"s\"\ndomain = \"factory\"\ntime_unit = \"minute\"\nhorizon = 10.0\n\
                    [[factory.source]]\nname = \"o\"\nproduct = \"w\"\ninterarrival = { dist = \"exponential\", mean = 1.0 }\n\
                    [[factory.product]]\nname = \"w\"\nroute = [\"m\"]\n\
                    [[factory.station]]\nname = \"m\"\nmachines = 1\nprocess = { dist = \"exponential\", mean = 1.0 }\n";
        let flag =
            Override::from_flag("--replications 0", "experiment.replications", toml::Value::Integer(0));
        let e = crate::scenario::parse(std::path::Path::new("s.toml"), text, &[flag]).unwrap_err();
        assert_eq!(e.key, "experiment.replications");
        assert!(e.message.ends_with("(from `--replications 0`)"), "{}", e.message);
        assert!(!e.message.contains("--set"), "{}", e.message);
        let set = Override::parse("experiment.replications=0").unwrap();
        assert_eq!(set.as_typed(), "--set experiment.replications=0");
        let e = crate::scenario::parse(std::path::Path::new("s.toml"), text, &[set]).unwrap_err();
        assert!(e.message.ends_with("(from `--set experiment.replications=0`)"), "{}", e.message);
    }

    #[test]
    fn parses_overrides() {
        let o = Override::parse("factory.station.mill.machines=2").unwrap();
        assert_eq!((o.path.as_str(), o.value), ("factory.station.mill.machines", toml::Value::Integer(2)));
        assert_eq!(Override::parse("scenario.horizon = 1.5").unwrap().value, toml::Value::Float(1.5));
        assert_eq!(Override::parse("a.b=true").unwrap().value, toml::Value::Boolean(true));
        assert_eq!(Override::parse("a.b=\"x y\"").unwrap().value, toml::Value::String("x y".into()));
        assert_eq!(
            Override::parse("scenario.name=fast-line").unwrap().value,
            toml::Value::String("fast-line".into())
        );
        assert_eq!(Override::parse("a.b=").unwrap().value, toml::Value::String(String::new()));
        assert_eq!(
            Override::parse("a.b=[1, 2.5]").unwrap().value,
            toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Float(2.5)])
        );
        let o = Override::parse("factory.station.mill.process={ dist = \"exponential\", mean = 1 }").unwrap();
        let t = o.value.as_table().unwrap();
        assert_eq!(t.get("dist").and_then(toml::Value::as_str), Some("exponential"));
        assert_eq!(t.get("mean").and_then(toml::Value::as_integer), Some(1));
        // `=` inside a quoted key is part of the path.
        assert_eq!(Override::parse("a.\"b=c\".d=1").unwrap().path, "a.\"b=c\".d");
    }

    #[test]
    fn rejects_malformed_overrides() {
        let e = Override::parse("no-equals-sign").unwrap_err();
        assert!(e.to_string().contains("no-equals-sign"), "{e}");
        assert!(e.to_string().contains("PATH=VALUE"), "{e}");
        assert!(Override::parse("=2").is_err());
        assert!(Override::parse("a..b=2").is_err());
        assert!(Override::parse("a.=2").is_err());
        assert!(Override::parse("a.\"b=2").is_err());
    }

    #[test]
    fn splits_and_joins_paths() {
        assert_eq!(split_path("a.b.c").unwrap(), ["a", "b", "c"]);
        assert_eq!(split_path(" a . \"b.c\" . d ").unwrap(), ["a", "b.c", "d"]);
        assert_eq!(join_path(&["a".into(), "b.c".into()]), "a.\"b.c\"");
        assert!(split_path("").is_err());
        assert!(split_path("a.\"b\"c").is_err());
        assert!(split_path(&vec!["a"; 32].join(".")).is_ok());
        assert!(
            split_path(&vec!["a"; 10_000].join(".")).is_err(),
            "deep paths would nest tables without bound"
        );
    }

    fn tree(text: &str) -> DeTable<'_> {
        DeTable::parse(text).unwrap().into_inner()
    }

    fn value(text: &str) -> Spanned<DeValue<'_>> {
        DeValue::parse(text).unwrap()
    }

    fn keys(path: &str) -> Vec<PathKey> {
        keys_at(path, &(0..0)).unwrap()
    }

    #[test]
    fn applies_by_name_creates_final_keys_and_rejects_bad_paths() {
        let text = "[[s]]\nname = \"mill\"\nm = 1\n[[s]]\nname = \"lathe\"\nm = 1\n[t]\nx = 1\n";
        let mut t = tree(text);
        apply(&mut t, &keys("s.lathe.m"), value("5")).unwrap();
        apply(&mut t, &keys("s.mill.buffer"), value("3")).unwrap();
        apply(&mut t, &keys("u.v"), value("true")).unwrap();
        let plain: toml::Table =
            toml::Table::deserialize(toml::de::Deserializer::from(Spanned::new(0..0, t.clone()))).unwrap();
        assert_eq!(plain["s"][1]["m"].as_integer(), Some(5));
        assert_eq!(plain["s"][0]["m"].as_integer(), Some(1));
        assert_eq!(plain["s"][0]["buffer"].as_integer(), Some(3));
        assert_eq!(plain["u"]["v"].as_bool(), Some(true));

        let e = apply(&mut t, &keys("s.mil.m"), value("1")).unwrap_err();
        assert_eq!(e.message, "`s` has no element named `mil` (known: `mill`, `lathe`)");
        assert_eq!(e.suggestion.as_deref(), Some("mill"));
        let e = apply(&mut t, &keys("t.x.y"), value("1")).unwrap_err();
        assert_eq!(e.message, "`t.x` is an integer, not a table, so it has no key `y`");
    }

    #[test]
    fn locates_each_key_of_a_set_path() {
        let text = r#"set = { "a.bc.d" = 1, e.f = 2, "x\u002ey" = 3 }"#;
        let k = keys_in(text, "a.bc.d", &(8..16)).unwrap();
        assert_eq!(
            k.iter().map(|k| (k.name.as_str(), k.span.clone())).collect::<Vec<_>>(),
            [("a", 9..10), ("bc", 11..13), ("d", 14..15)]
        );
        let k = keys_in(text, "e", &(22..23)).unwrap();
        assert_eq!(k, [PathKey { name: "e".into(), span: 22..23 }]);
        // Escapes make offsets unreliable: fall back to the whole key.
        let k = keys_in(text, "x.y", &(31..42)).unwrap();
        assert!(k.iter().all(|k| k.span == (31..42)));
    }

    #[test]
    fn shifts_every_span() {
        let v = shift(value("{ a = [1, { b = 2 }] }"), 100);
        assert_eq!(v.span(), 100..122);
        let t = v.get_ref().as_table().unwrap();
        let (k, a) = t.iter().next().unwrap();
        assert_eq!((k.span(), a.span()), (102..103, 106..120));
    }
}
