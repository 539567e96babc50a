//! Validation of the `[city]` table (H1 writes this file).

use toml::Spanned;
use toml::de::DeValue;

use super::CityConfig;
use crate::validate::{ScenarioError, ValidationCtx};

/// Validates the `city` table. Errors name file, line, column and key.
pub(crate) fn parse(value: &Spanned<DeValue<'_>>, ctx: &ValidationCtx<'_>) -> Result<CityConfig, ScenarioError> {
    let _ = (value, ctx);
    todo!("H1")
}
