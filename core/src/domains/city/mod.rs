//! The city: signalised road networks as a mesoscopic link-queue model (skeleton; the lead
//! wires the modules into `CityModel`).

#![allow(dead_code, reason = "skeleton: the modules are wired into CityModel by the lead")]

pub mod config;

mod accounting;
mod demand;
mod kinds;
mod preflight;
