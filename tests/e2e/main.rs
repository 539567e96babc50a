//! End-to-end tests: the `xinzhi` binary on scenario files, checked against theory.

mod bad_input;
mod city;
mod cli;
mod common;
mod controllers;
mod determinism;
mod docs;
mod loader;
mod oracle;
mod plugins;
mod predictors;
mod reliability;
mod signals;
mod steady;
mod theory;
mod whatif;
