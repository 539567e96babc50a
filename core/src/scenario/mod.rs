//! Scenario types (interim; replaced by the scenario branch).
#![allow(missing_docs, reason = "interim")]
use std::path::{Path, PathBuf};

use crate::domains::factory::config::FactoryConfig;
use crate::time::{SimTime, TimeUnit};
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub time_unit: TimeUnit,
    pub horizon: SimTime,
    pub warmup: SimTime,
    pub experiment: ExperimentConfig,
    pub model: ModelConfig,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExperimentConfig {
    pub replications: u32,
    pub seed: u64,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "domain", rename_all = "lowercase")]
pub enum ModelConfig {
    Factory(FactoryConfig),
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Variant {
    pub name: String,
    pub description: Option<String>,
    pub scenario: Scenario,
    pub set: Vec<(String, String)>,
}
#[derive(Clone, Debug)]
pub struct ScenarioFile {
    pub path: PathBuf,
    pub text: String,
    pub baseline: Scenario,
    pub variants: Vec<Variant>,
}
#[derive(Clone, Debug)]
pub struct Override {
    pub path: String,
    pub value: toml::Value,
}
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}: {message}")]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
    pub suggestion: Option<String>,
    pub variant: Option<String>,
}
impl Override {
    pub fn parse(arg: &str) -> Result<Override, ScenarioError> {
        Err(ScenarioError {
            file: PathBuf::new(),
            line: 0,
            column: 0,
            key: arg.into(),
            message: "interim".into(),
            suggestion: None,
            variant: None,
        })
    }
}
pub fn load(path: &Path, _overrides: &[Override]) -> Result<ScenarioFile, ScenarioError> {
    Err(ScenarioError {
        file: path.into(),
        line: 0,
        column: 0,
        key: String::new(),
        message: "interim".into(),
        suggestion: None,
        variant: None,
    })
}
