//! The scenario-file form of a distribution ([`DistSpec`]) and its validation into a [`Dist`],
//! with errors located at the offending key or value ([`DistError`]).

use std::ops::Range;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::Dist;
use crate::util::suggest::{nearest, one_of};

/// A distribution as written in a scenario file, before validation: a bare number or an inline
/// table of parameters, each with its location for error messages.
#[derive(Clone, Debug)]
pub(crate) enum DistSpec {
    /// A bare number: a constant.
    Number(f64),
    /// `{ dist = "...", param = value, ... }`, in the order written.
    Table(Vec<(Spanned<String>, Spanned<toml::Value>)>),
}

/// Why a [`DistSpec`] is not a valid distribution.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DistError {
    /// Byte range of the offending key or value.
    pub(crate) span: Range<usize>,
    /// What was expected and what was found.
    pub(crate) message: String,
    /// The nearest valid name, for typos.
    pub(crate) suggestion: Option<String>,
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = DistSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a distribution such as `{ dist = \"exponential\", mean = 1.0 }`, or a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistSpec, E> {
                Ok(DistSpec::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistSpec, E> {
                Ok(DistSpec::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistSpec, E> {
                Ok(DistSpec::Number(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistSpec, A::Error> {
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<toml::Value>>()?;
                    params.push((key, value));
                }
                // Tables iterate in key order; report problems in the order they were written.
                params.sort_by_key(|(k, _)| k.span().start);
                Ok(DistSpec::Table(params))
            }
        }
        deserializer.deserialize_any(SpecVisitor)
    }
}

/// The distributions of the file format and the parameters each accepts.
const KINDS: [(&str, &[&str]); 10] = [
    ("exponential", &["mean", "rate"]),
    ("constant", &["value"]),
    ("uniform", &["min", "max"]),
    ("triangular", &["min", "mode", "max"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mean", "cv", "mu", "sigma"]),
    ("gamma", &["shape", "scale", "mean", "cv"]),
    ("weibull", &["shape", "scale"]),
    ("erlang", &["k", "mean"]),
    ("empirical", &["values", "weights"]),
];

/// Names of all distributions, in the order of the format's table.
pub(crate) fn names() -> impl Iterator<Item = &'static str> + Clone {
    KINDS.iter().map(|(name, _)| *name)
}

fn err(span: Range<usize>, message: impl Into<String>) -> DistError {
    DistError { span, message: message.into(), suggestion: None }
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a datetime",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// A number from a TOML value: integers are accepted where floats are expected.
fn as_number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// A parameter value with its location.
#[derive(Clone)]
struct Num<'a> {
    name: &'a str,
    value: f64,
    span: Range<usize>,
}

impl Num<'_> {
    fn check(&self, ok: bool, rule: &str) -> Result<f64, DistError> {
        if ok {
            Ok(self.value)
        } else {
            Err(err(self.span.clone(), format!("`{}` must be {rule}, found {}", self.name, self.value)))
        }
    }
    fn positive(&self) -> Result<f64, DistError> {
        self.check(self.value > 0.0, "> 0")
    }
    fn non_negative(&self) -> Result<f64, DistError> {
        self.check(self.value >= 0.0, ">= 0")
    }
    fn at_least(&self, other: &Num<'_>) -> Result<f64, DistError> {
        let rule = format!(">= `{}` ({})", other.name, other.value);
        self.check(self.value >= other.value, &rule)
    }
}

/// The parameters of one distribution table, with the whole table's location.
struct Params<'a> {
    dist: &'static str,
    list: &'a [(Spanned<String>, Spanned<toml::Value>)],
    whole: Range<usize>,
}

impl<'a> Params<'a> {
    fn entry(&self, name: &str) -> Option<&'a (Spanned<String>, Spanned<toml::Value>)> {
        self.list.iter().find(|(k, _)| k.get_ref() == name)
    }

    fn get(&self, name: &str) -> Option<&'a Spanned<toml::Value>> {
        self.entry(name).map(|(_, v)| v)
    }

    fn has(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// A numeric parameter, if present: must be a finite number.
    fn num(&self, name: &'a str) -> Result<Option<Num<'a>>, DistError> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let span = v.span();
        let Some(value) = as_number(v.get_ref()) else {
            return Err(err(span, format!("`{name}` must be a number, found {}", type_name(v.get_ref()))));
        };
        if !value.is_finite() {
            return Err(err(span, format!("`{name}` must be a finite number, found {value}")));
        }
        Ok(Some(Num { name, value, span }))
    }

    /// A required numeric parameter; `needs` describes the full set for the error message.
    fn req(&self, name: &'a str, needs: &str) -> Result<Num<'a>, DistError> {
        self.num(name)?.ok_or_else(|| {
            err(self.whole.clone(), format!("missing parameter `{name}` (`{}` needs {needs})", self.dist))
        })
    }

    /// Errors if any of `names` is present: used to reject mixed parameterisations.
    fn reject_mix(&self, names: &[&str], forms: &str) -> Result<(), DistError> {
        match names.iter().find_map(|n| self.entry(n)) {
            Some((k, _)) => Err(err(
                k.span(),
                format!(
                    "`{}` cannot be combined with the other parameters: `{}` takes {forms}",
                    k.get_ref(),
                    self.dist
                ),
            )),
            None => Ok(()),
        }
    }
}

impl DistSpec {
    /// Validates the written form into a [`Dist`]; `whole` is the location of the entire value.
    pub(crate) fn resolve(&self, whole: Range<usize>) -> Result<Dist, DistError> {
        let dist = match self {
            DistSpec::Number(value) => {
                if !value.is_finite() || *value < 0.0 {
                    return Err(err(
                        whole,
                        format!("a constant duration must be a finite number >= 0, found {value}"),
                    ));
                }
                Dist::Constant { value: *value }
            }
            DistSpec::Table(list) => resolve_table(list, whole.clone())?,
        };
        dist.try_sampler().map_err(|e| err(whole, e.reason))?;
        Ok(dist)
    }
}

fn resolve_table(
    params: &[(Spanned<String>, Spanned<toml::Value>)],
    whole: Range<usize>,
) -> Result<Dist, DistError> {
    let Some((_, name)) = params.iter().find(|(k, _)| k.get_ref() == "dist") else {
        // A misspelt `dist` is the likely cause; point at it rather than at the whole table.
        if let Some((k, _)) = params.iter().find(|(k, _)| nearest(k.get_ref(), ["dist"]).is_some()) {
            return Err(DistError {
                span: k.span(),
                message: format!("unknown key `{}`: a distribution table starts with `dist`", k.get_ref()),
                suggestion: Some("dist".into()),
            });
        }
        return Err(err(
            whole,
            format!("missing key `dist`: the name of the distribution, {}", list_names()),
        ));
    };
    let toml::Value::String(name_str) = name.get_ref() else {
        return Err(err(
            name.span(),
            format!(
                "`dist` must be the name of a distribution as a string, found {}",
                type_name(name.get_ref())
            ),
        ));
    };
    let Some((dist, allowed)) = KINDS.iter().find(|(n, _)| n == name_str) else {
        return Err(DistError {
            span: name.span(),
            message: format!("unknown distribution `{name_str}` (expected {})", list_names()),
            suggestion: nearest(name_str, names()).map(str::to_owned),
        });
    };
    for (k, _) in params {
        let key = k.get_ref().as_str();
        if key != "dist" && !allowed.contains(&key) {
            return Err(DistError {
                span: k.span(),
                message: format!(
                    "unknown parameter `{key}` for `{dist}` (expected {})",
                    one_of(allowed.iter().copied())
                ),
                suggestion: nearest(key, allowed.iter().copied()).map(str::to_owned),
            });
        }
    }
    let p = Params { dist, list: params, whole: whole.clone() };
    Ok(match *dist {
        "exponential" => match (p.num("mean")?, p.num("rate")?) {
            (Some(mean), None) => Dist::Exponential { mean: mean.positive()? },
            (None, Some(rate)) => Dist::Exponential { mean: 1.0 / rate.positive()? },
            (Some(_), Some(rate)) => {
                return Err(err(rate.span.clone(), "give either `mean` or `rate`, not both"));
            }
            (None, None) => return Err(err(whole, "missing parameter `mean` (or `rate`) of `exponential`")),
        },
        "constant" => Dist::Constant { value: p.req("value", "`value`")?.non_negative()? },
        "uniform" => {
            let needs = "`min` and `max`";
            let min = p.req("min", needs)?;
            let max = p.req("max", needs)?;
            min.non_negative()?;
            Dist::Uniform { min: min.value, max: max.at_least(&min)? }
        }
        "triangular" => {
            let needs = "`min`, `mode` and `max`";
            let (min, mode, max) = (p.req("min", needs)?, p.req("mode", needs)?, p.req("max", needs)?);
            min.non_negative()?;
            mode.at_least(&min)?;
            max.at_least(&mode)?;
            max.check(max.value > min.value, &format!("> `min` ({})", min.value))?;
            Dist::Triangular { min: min.value, mode: mode.value, max: max.value }
        }
        "normal" => {
            let needs = "`mean` and `sd`";
            let (mean, sd) = (p.req("mean", needs)?, p.req("sd", needs)?);
            Dist::Normal { mean: mean.positive()?, sd: sd.non_negative()? }
        }
        "lognormal" => {
            let needs = "`mean` and `cv`, or `mu` and `sigma`";
            if p.has("mu") || p.has("sigma") {
                p.reject_mix(&["mean", "cv"], needs)?;
                let (mu, sigma) = (p.req("mu", needs)?, p.req("sigma", needs)?);
                Dist::LogNormal { mu: mu.value, sigma: sigma.non_negative()? }
            } else {
                let (mean, cv) = (p.req("mean", needs)?, p.req("cv", needs)?);
                let (mean, cv) = (mean.positive()?, cv.non_negative()?);
                let sigma2 = cv.mul_add(cv, 1.0).ln();
                Dist::LogNormal { mu: mean.ln() - sigma2 / 2.0, sigma: sigma2.sqrt() }
            }
        }
        "gamma" => {
            let needs = "`shape` and `scale`, or `mean` and `cv`";
            if p.has("shape") || p.has("scale") {
                p.reject_mix(&["mean", "cv"], needs)?;
                let (shape, scale) = (p.req("shape", needs)?, p.req("scale", needs)?);
                Dist::Gamma { shape: shape.positive()?, scale: scale.positive()? }
            } else {
                let (mean, cv) = (p.req("mean", needs)?, p.req("cv", needs)?);
                let (mean, cv) = (mean.positive()?, cv.positive()?);
                Dist::Gamma { shape: 1.0 / (cv * cv), scale: mean * cv * cv }
            }
        }
        "weibull" => {
            let needs = "`shape` and `scale`";
            let (shape, scale) = (p.req("shape", needs)?, p.req("scale", needs)?);
            Dist::Weibull { shape: shape.positive()?, scale: scale.positive()? }
        }
        "erlang" => {
            let needs = "`k` and `mean`";
            let k = integer_k(&p, needs)?;
            Dist::Erlang { k, mean: p.req("mean", needs)?.positive()? }
        }
        _ => empirical(&p)?,
    })
}

fn list_names() -> String {
    one_of(names())
}

/// `k` of an Erlang: an integer from 1 to 2^32 − 1.
fn integer_k(p: &Params<'_>, needs: &str) -> Result<u32, DistError> {
    let Some(v) = p.get("k") else {
        return Err(err(p.whole.clone(), format!("missing parameter `k` (`erlang` needs {needs})")));
    };
    match v.get_ref() {
        toml::Value::Integer(k) => match u32::try_from(*k) {
            Ok(k) if k >= 1 => Ok(k),
            _ => Err(err(v.span(), format!("`k` must be an integer >= 1, found {k}"))),
        },
        other => Err(err(v.span(), format!("`k` must be an integer >= 1, found {}", type_name(other)))),
    }
}

fn number_array(p: &Params<'_>, name: &str) -> Result<Option<Vec<f64>>, DistError> {
    let Some(v) = p.get(name) else { return Ok(None) };
    let toml::Value::Array(items) = v.get_ref() else {
        return Err(err(
            v.span(),
            format!("`{name}` must be an array of numbers, found {}", type_name(v.get_ref())),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match as_number(item) {
            Some(x) if x.is_finite() && x >= 0.0 => out.push(x),
            Some(x) => {
                return Err(err(v.span(), format!("`{name}[{i}]` must be a finite number >= 0, found {x}")));
            }
            None => {
                return Err(err(
                    v.span(),
                    format!("`{name}[{i}]` must be a number, found {}", type_name(item)),
                ));
            }
        }
    }
    Ok(Some(out))
}

fn empirical(p: &Params<'_>) -> Result<Dist, DistError> {
    let Some(values) = number_array(p, "values")? else {
        return Err(err(
            p.whole.clone(),
            "missing parameter `values` (`empirical` needs `values`, optionally `weights`)",
        ));
    };
    let values_span = p.get("values").map_or(p.whole.clone(), Spanned::span);
    if values.is_empty() {
        return Err(err(values_span, "`values` must not be empty"));
    }
    let weights = number_array(p, "weights")?;
    if let (Some(w), Some(v)) = (&weights, p.get("weights")) {
        if w.len() != values.len() {
            return Err(err(
                v.span(),
                format!(
                    "`weights` must have one entry per value: {} weights for {} values",
                    w.len(),
                    values.len()
                ),
            ));
        }
        let total: f64 = w.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(err(v.span(), format!("`weights` must sum to a finite number > 0, found {total}")));
        }
    }
    Ok(Dist::Empirical { values, weights })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Dist, DistError> {
        let value: Spanned<DistSpec> = toml::de::ValueDeserializer::parse(text)
            .and_then(Spanned::<DistSpec>::deserialize)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        value.get_ref().resolve(value.span())
    }

    #[test]
    fn alternative_parameterisations_resolve_to_the_canonical_form() {
        assert_eq!(spec("{ dist = \"exponential\", rate = 4 }"), Ok(Dist::Exponential { mean: 0.25 }));
        assert_eq!(spec("2"), Ok(Dist::Constant { value: 2.0 }));
        assert_eq!(spec("{ dist = \"erlang\", k = 3, mean = 1 }"), Ok(Dist::Erlang { k: 3, mean: 1.0 }));
        let ln = spec("{ dist = \"lognormal\", mean = 1.8, cv = 0.4 }").unwrap();
        assert!((ln.mean() - 1.8).abs() < 1e-12, "{ln:?}");
        let Dist::LogNormal { sigma, .. } = ln else { panic!("{ln:?}") };
        assert!((sigma - 1.16f64.ln().sqrt()).abs() < 1e-12);
        let g = spec("{ dist = \"gamma\", mean = 8, cv = 0.5 }").unwrap();
        assert_eq!(g, Dist::Gamma { shape: 4.0, scale: 2.0 });
        assert_eq!(
            spec("{ dist = \"lognormal\", mu = -1, sigma = 0.5 }"),
            Ok(Dist::LogNormal { mu: -1.0, sigma: 0.5 })
        );
    }

    #[test]
    fn spec_errors_point_at_the_parameter() {
        let text = "{ dist = \"gamma\", shape = 2, sacle = 1 }";
        let e = spec(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "sacle");
        assert_eq!(e.suggestion.as_deref(), Some("scale"));
        let text = "{ dist = \"weibull\", shape = -2, scale = 1 }";
        let e = spec(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "-2");
        let text = "{ dist = \"gamma\", shape = 2, mean = 1 }";
        let e = spec(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "mean");
        assert!(e.message.starts_with("`mean` cannot be combined"), "{}", e.message);
    }
}
