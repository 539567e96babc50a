//! The one error type of scenario loading.

use std::fmt;
use std::path::PathBuf;

/// Why a scenario could not be loaded, and exactly where.
///
/// Displays as `{file}:{line}:{column}: {key}: {message}`, followed by
/// `` (did you mean `{suggestion}`?)`` and ``(in variant `{variant}`)`` when present. Parts that
/// are unknown are left out: no `:{line}:{column}` when `line` is 0 (the value came from the
/// command line, or the file could not be read), no file when `file` is empty (a malformed
/// `--set` argument), no key when `key` is empty.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario file.
    pub file: PathBuf,
    /// 1-based line of the offending key or value; 0 if unknown.
    pub line: usize,
    /// 1-based column (in characters) of the offending key or value; 0 if unknown.
    pub column: usize,
    /// Dotted path of the offending key, e.g. `<domain>.<table>[<name>].<key>` or
    /// `scenario.horizon`; elements of arrays of tables are shown by name (or by 0-based index
    /// when they have none).
    pub key: String,
    /// What was expected and what was found.
    pub message: String,
    /// The nearest valid name, when the mistake looks like a typo.
    pub suggestion: Option<String>,
    /// The variant whose `set` was being applied, if any.
    pub variant: Option<String>,
}

impl ScenarioError {
    /// An error without location, key or context; callers fill in what they know.
    pub(crate) fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.into(),
            line: 0,
            column: 0,
            key: String::new(),
            message: message.into(),
            suggestion: None,
            variant: None,
        }
    }

    /// Sets the key path.
    pub(crate) fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Sets the suggestion.
    pub(crate) fn with_suggestion(mut self, suggestion: Option<impl Into<String>>) -> Self {
        self.suggestion = suggestion.map(Into::into);
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string();
        let mut prefix = String::new();
        if !file.is_empty() {
            prefix.push_str(&file);
            if self.line > 0 {
                prefix.push_str(&format!(":{}:{}", self.line, self.column));
            }
            prefix.push_str(": ");
        }
        if !self.key.is_empty() {
            prefix.push_str(&self.key);
            prefix.push_str(": ");
        }
        write!(f, "{prefix}{}", self.message)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, " (did you mean `{suggestion}`?)")?;
        }
        if let Some(variant) = &self.variant {
            write!(f, " (in variant `{variant}`)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_and_without_parts() {
        let mut e = ScenarioError::new("s.toml", "unknown key `horizn`").with_key("scenario.horizn");
        e.line = 5;
        e.column = 1;
        e.suggestion = Some("horizon".into());
        assert_eq!(
            e.to_string(),
            "s.toml:5:1: scenario.horizn: unknown key `horizn` (did you mean `horizon`?)"
        );
        e.variant = Some("v".into());
        assert!(e.to_string().ends_with("(did you mean `horizon`?) (in variant `v`)"));
        let e = ScenarioError::new("s.toml", "cannot read the file");
        assert_eq!(e.to_string(), "s.toml: cannot read the file");
        let e = ScenarioError::new("", "expected PATH=VALUE");
        assert_eq!(e.to_string(), "expected PATH=VALUE");
    }
}
