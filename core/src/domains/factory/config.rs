//! Factory config (interim; replaced by the scenario branch).
#![allow(missing_docs, reason = "interim")]
use crate::dist::Dist;
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FactoryConfig {
    pub sources: Vec<SourceConfig>,
    pub products: Vec<ProductConfig>,
    pub stations: Vec<StationConfig>,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SourceConfig {
    pub name: String,
    pub product: usize,
    pub interarrival: Dist,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ProductConfig {
    pub name: String,
    pub route: Vec<RouteStep>,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RouteStep {
    pub station: usize,
    pub process: Dist,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StationConfig {
    pub name: String,
    pub machines: u32,
    pub buffer: Option<u32>,
    pub process: Option<Dist>,
}
