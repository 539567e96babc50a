//! Parameter parsing shared by the controllers: a JSON object whose every key is known, each
//! value checked with a message naming its key and what was expected.
//!
//! The keys are read from a [`serde_json::Map`] rather than derived with serde so that a value
//! of the wrong type (`"cycle": "60"`) is reported with its key, not only as "invalid type".

use serde_json::{Map, Value};
use xinzhi_plugin::{Config, PluginError};

/// What a number must satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Any finite number.
    Finite,
    /// A finite number `≥ 0`.
    NonNegative,
    /// A finite number `> 0`.
    Positive,
}

impl Rule {
    fn holds(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                Rule::Finite => true,
                Rule::NonNegative => v >= 0.0,
                Rule::Positive => v > 0.0,
            }
    }

    /// What it asks for: `"finite number > 0"`.
    fn text(self) -> &'static str {
        match self {
            Rule::Finite => "finite number",
            Rule::NonNegative => "finite number ≥ 0",
            Rule::Positive => "finite number > 0",
        }
    }
}

/// A controller's parameters, every key checked against the keys it accepts.
#[derive(Debug)]
pub(crate) struct Params {
    map: Map<String, Value>,
}

impl Params {
    /// Parses `config` (a JSON object, `{}` when empty); a key not in `keys` is an error naming it
    /// and the accepted keys.
    pub(crate) fn parse(config: &Config<'_>, keys: &[&str]) -> Result<Self, PluginError> {
        let map: Map<String, Value> = config.parse()?;
        // `Map` keeps keys sorted: the first unknown key is the same on every run.
        if let Some(k) = map.keys().find(|k| !keys.contains(&k.as_str())) {
            let known: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            return Err(PluginError::invalid_config(format!("unknown parameter `{k}` (accepted: {known})")));
        }
        Ok(Params { map })
    }

    /// Whether `key` was given.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The number at `key`, if given.
    pub(crate) fn number(&self, key: &str, rule: Rule) -> Result<Option<f64>, PluginError> {
        let Some(v) = self.map.get(key) else { return Ok(None) };
        match v.as_f64() {
            Some(x) if rule.holds(x) => Ok(Some(x)),
            _ => Err(PluginError::invalid_config(format!("`{key}` must be a {}, found {v}", rule.text()))),
        }
    }

    /// The number at `key`, or `default`.
    pub(crate) fn number_or(&self, key: &str, rule: Rule, default: f64) -> Result<f64, PluginError> {
        Ok(self.number(key, rule)?.unwrap_or(default))
    }

    /// The non-empty list of numbers at `key`, if given.
    pub(crate) fn numbers(&self, key: &str, rule: Rule) -> Result<Option<Vec<f64>>, PluginError> {
        let Some(v) = self.map.get(key) else { return Ok(None) };
        let bad = || {
            PluginError::invalid_config({
                format!("`{key}` must be a non-empty list, each a {}, found {v}", rule.text())
            })
        };
        let Some(items) = v.as_array() else { return Err(bad()) };
        if items.is_empty() {
            return Err(bad());
        }
        items
            .iter()
            .map(|x| x.as_f64().filter(|&x| rule.holds(x)).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The string at `key`, one of `allowed`, if given.
    pub(crate) fn choice(
        &self,
        key: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, PluginError> {
        let Some(v) = self.map.get(key) else { return Ok(None) };
        match v.as_str().and_then(|s| allowed.iter().find(|a| **a == s)) {
            Some(a) => Ok(Some(a)),
            None => {
                let names: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
                Err(PluginError::invalid_config(format!("`{key}` must be {}, found {v}", names.join(" or "))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Params, PluginError> {
        Params::parse(&Config::new(json), &["a", "list", "mode"])
    }

    #[test]
    fn every_error_names_its_key_and_what_was_expected() {
        let e = parse(r#"{"a": 1, "b": 2}"#).unwrap_err();
        assert_eq!(e.message, "unknown parameter `b` (accepted: `a`, `list`, `mode`)");
        let p = parse(r#"{"a": "60", "list": [1, -2], "mode": "x"}"#).unwrap();
        assert_eq!(
            p.number("a", Rule::Positive).unwrap_err().message,
            r#"`a` must be a finite number > 0, found "60""#
        );
        assert_eq!(
            p.numbers("list", Rule::Positive).unwrap_err().message,
            "`list` must be a non-empty list, each a finite number > 0, found [1,-2]"
        );
        assert_eq!(
            p.choice("mode", &["splits", "webster"]).unwrap_err().message,
            r#"`mode` must be "splits" or "webster", found "x""#
        );
        let p = parse(r#"{"a": 0, "list": [0, 2.5]}"#).unwrap();
        assert_eq!(p.number("a", Rule::NonNegative).unwrap(), Some(0.0));
        assert!(p.number("a", Rule::Positive).is_err());
        assert_eq!(p.numbers("list", Rule::NonNegative).unwrap(), Some(vec![0.0, 2.5]));
        assert_eq!(p.number_or("mode", Rule::Finite, 7.0).unwrap(), 7.0);
        assert!(p.has("a") && !p.has("mode"));
        assert!(parse("[1]").is_err());
        assert_eq!(Params::parse(&Config::new(""), &[]).map(|p| p.has("a")), Ok(false));
        assert_eq!(
            Params::parse(&Config::new(r#"{"x": 1}"#), &[]).unwrap_err().message,
            "unknown parameter `x` (accepted: none)"
        );
    }
}
