//! The discharge rules, capacity and spillback on one junction with two conflicting approaches
//! `a` and `b` (one phase each), traced vehicle by vehicle.

use super::{city, run};

/// A junction `x` with approaches `a-in` and `b-in` (phase 0 and 1) and exits `a-out`,
/// `b-out`. `city` adds keys to `[city]`, `links` overrides link keys as `name = "keys"`.
pub(super) fn junction(city_keys: &str, signal: &str, flows: &str, a_out: &str) -> String {
    format!(
        r#"
[scenario]
name = "junction"
domain = "city"
time_unit = "second"
horizon = 3600.0

[city]
{city_keys}

[[city.node]]
name = "x"
phases = [["a-in"], ["b-in"]]
signal = {signal}

[[city.link]]
name = "a-in"
from = "a"
to = "x"
length = 15.0
lanes = 1
speed = 15.0
saturation = 1800.0
storage = 1000

[[city.link]]
name = "b-in"
from = "b"
to = "x"
length = 15.0
lanes = 1
speed = 15.0
saturation = 1800.0
storage = 1000

[[city.link]]
name = "a-out"
from = "x"
to = "a2"
lanes = 1
saturation = 1800.0
{a_out}

[[city.link]]
name = "b-out"
from = "x"
to = "b2"
length = 1.5
lanes = 1
speed = 15.0
saturation = 1800.0
storage = 1000

{flows}
"#
    )
}

const SHORT_EXIT: &str = "length = 1.5\nspeed = 15.0\nstorage = 1000";

fn flow(name: &str, route: &str, headway: f64, offset: f64) -> String {
    format!(
        "[[city.flow]]\nname = \"{name}\"\nroute = {route}\narrivals = \"deterministic\"\nheadway = {headway}\noffset = {offset}\n"
    )
}

fn a_flow(headway: f64, offset: f64) -> String {
    flow("a", r#"["a-in", "a-out"]"#, headway, offset)
}

fn b_flow(headway: f64, offset: f64) -> String {
    flow("b", r#"["b-in", "b-out"]"#, headway, offset)
}

/// Crossing times of flow `subject` (trip ends minus the exit link's 0.1 s).
fn crossings(run: &super::Run, subject: u32) -> Vec<f64> {
    run.timed("city.trip_delay").iter().filter(|r| r.1 == subject).map(|r| r.0 - 0.1).collect()
}

/// city.md §3.1: G = 27, Y = 3, AR = 2, l₁ = l₂ = 2 gives g = 28 on [G start + 2, G end + 3);
/// at s = 1800 veh/h (h = 2 s) a saturated approach crosses exactly 14 times per cycle, at
/// e₀ + 2k (slotted); phase 1 (G = 23, g = 24) 12 times, from 60k + 34.
#[test]
fn capacity_and_conventions() {
    let text = junction(
        "yellow = 3.0\nall_red = 2.0\nstartup_lost = 2.0\nclearance_lost = 2.0",
        r#"{ plugin = "fixed_time", cycle = 60.0, greens = [27.0, 23.0] }"#,
        &(a_flow(1.0, 0.0) + &b_flow(1.0, 0.0)),
        SHORT_EXIT,
    );
    let r = run(&city(&text), 600.0, 1);
    for (subject, first, count) in [(0, 2.0, 14), (1, 34.0, 12)] {
        let crossed = crossings(&r, subject);
        for cycle in 1..9 {
            let start = 60.0 * f64::from(cycle);
            let mine: Vec<f64> =
                crossed.iter().copied().filter(|&t| t >= start && t < start + 60.0).collect();
            let expected: Vec<f64> = (0..count).map(|k| start + first + 2.0 * f64::from(k)).collect();
            assert_eq!(mine.len(), count as usize, "approach {subject}, cycle {cycle}: {mine:?}");
            for (t, e) in mine.iter().zip(&expected) {
                assert!((t - e).abs() < 1e-9, "approach {subject}, cycle {cycle}: {mine:?} vs {expected:?}");
            }
        }
    }
}

/// Slotted: the head crosses at the first slot e₀ + k·h strictly after it reached the stop
/// line (a vehicle reaching it exactly at a slot waits for the next); continuous: at once.
#[test]
fn slotted_waits_for_the_next_slot_continuous_does_not() {
    let signal = r#"{ plugin = "fixed_time", cycle = 1000.0, greens = [900.0, 90.0] }"#;
    let timing = "yellow = 3.0\nall_red = 2.0\nstartup_lost = 2.0\nclearance_lost = 2.0";
    // τ = 1 s: departures at 9 and 19.5 reach the stop line at 10 (= e₀ + 4h) and 20.5.
    let flows = a_flow(10.5, 9.0);
    for (discharge, first, second) in [("slotted", 12.0, 22.0), ("continuous", 10.0, 20.5)] {
        let text = junction(&format!("discharge = \"{discharge}\"\n{timing}"), signal, &flows, SHORT_EXIT);
        let r = run(&city(&text), 30.0, 1);
        let crossed = crossings(&r, 0);
        assert_eq!(crossed.len(), 2, "{discharge}: {crossed:?}");
        assert!(
            (crossed[0] - first).abs() < 1e-9 && (crossed[1] - second).abs() < 1e-9,
            "{discharge}: {crossed:?}"
        );
    }
}

/// Vehicles reaching a red stop line discharge at h = 2 s from the effective green start
/// e₀ = 62 (slotted and continuous alike): delays are 62 − 31, 64 − 32, 66 − 33.
#[test]
fn a_queue_formed_in_red_discharges_at_saturation_headway() {
    let signal = r#"{ plugin = "fixed_time", cycle = 60.0, greens = [27.0, 23.0] }"#;
    let timing = "yellow = 3.0\nall_red = 2.0\nstartup_lost = 2.0\nclearance_lost = 2.0";
    // Three vehicles, one per flow, departing at 30, 31, 32 (τ = 1 s).
    let flows: String =
        (0..3).map(|i| flow(&format!("a{i}"), r#"["a-in", "a-out"]"#, 1000.0, 30.0 + f64::from(i))).collect();
    for discharge in ["slotted", "continuous"] {
        let text = junction(&format!("discharge = \"{discharge}\"\n{timing}"), signal, &flows, SHORT_EXIT);
        let r = run(&city(&text), 100.0, 1);
        let delays: Vec<f64> = r.timed("city.trip_delay").iter().map(|x| x.2).collect();
        assert_eq!(delays.len(), 3, "{discharge}: {delays:?}");
        for (d, e) in delays.iter().zip([31.0, 32.0, 33.0]) {
            assert!((d - e).abs() < 1e-9, "{discharge}: {delays:?}");
        }
    }
}

/// Spillback (plan §1.5): an out-link holding 2 vehicles with τ = 20 s. Saturated arrivals
/// cross at 2 and 4, the third head is refused at its slot 6 and waits until the first
/// vehicle leaves the out-link at 22; from then on two cross per 20 s and the link blocks its
/// upstream on [6 + 20i, 22 + 20i). Every vehicle is accounted for at the end.
#[test]
fn a_full_out_link_blocks_crossings_and_its_blocked_time_is_counted() {
    let signal = r#"{ plugin = "fixed_time", cycle = 1000.0, greens = [900.0, 90.0] }"#;
    let timing = "yellow = 3.0\nall_red = 2.0\nstartup_lost = 2.0\nclearance_lost = 2.0";
    let out = "length = 300.0\nspeed = 15.0\nstorage = 2";
    let text = junction(timing, signal, &a_flow(1.0, 0.0), out);
    let r = run(&city(&text), 300.0, 1);
    let ends: Vec<f64> = r.timed("city.trip_delay").iter().map(|x| x.0).collect();
    let expected: Vec<f64> = (0..15)
        .flat_map(|i| [22.0 + 20.0 * f64::from(i), 24.0 + 20.0 * f64::from(i)])
        .filter(|&t| t <= 300.0)
        .collect();
    assert_eq!(ends, expected);
    let blocked = r.timed("city.link_blocked");
    let changes: Vec<(f64, f64)> = blocked.iter().filter(|b| b.1 == 2).map(|b| (b.0, b.2)).collect();
    for (i, pair) in changes.chunks(2).enumerate() {
        let i = i as f64;
        assert_eq!(pair[0], (6.0 + 20.0 * i, 1.0), "{changes:?}");
        if pair.len() == 2 {
            assert_eq!(pair[1], (22.0 + 20.0 * i, 0.0), "{changes:?}");
        }
    }
    assert_eq!(changes.len(), 29, "{changes:?}");
    // Conservation: 301 departed (at 0, 1, …, 300), 28 arrived (the last at 284), the rest on
    // the links.
    let value = |name: &str| r.closing(name)[0].1;
    assert_eq!(value("city.spawned_total"), 301.0);
    assert_eq!(value("city.arrived_total"), 28.0);
    assert_eq!(value("city.in_network") + value("city.in_buffers"), 273.0);
}

/// Gridlock detection (plan §1.6): no crossing anywhere for `stuck_time` while vehicles wait.
/// Only approach `b` has traffic and its phase is red for the first 907 s (phase 0's displayed
/// green lasts 900 s, then 5 s of yellow and all-red, then l₁ = 2 s): nothing crosses, so the
/// checks at 300, 600 and 900 s each find a gridlock; after b's green starts vehicles cross and
/// no further check finds one before the horizon (1 100 s).
#[test]
fn no_crossing_anywhere_for_the_stuck_time_while_vehicles_wait_is_a_gridlock() {
    let signal = r#"{ plugin = "fixed_time", cycle = 1000.0, greens = [900.0, 90.0] }"#;
    let timing = "yellow = 3.0\nall_red = 2.0\nstartup_lost = 2.0\nclearance_lost = 2.0\nstuck_time = 300.0";
    let r = run(&city(&junction(timing, signal, &b_flow(10.0, 0.0), SHORT_EXIT)), 1100.0, 1);
    let checks: Vec<f64> = r.timed("city.gridlock").iter().map(|g| g.0).collect();
    assert_eq!(checks, [300.0, 600.0, 900.0]);
    assert_eq!(r.closing("city.gridlocks_total"), [(0, 3.0)]);
}
