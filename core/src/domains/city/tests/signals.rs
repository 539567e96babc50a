//! The signal host with a real controller: the actuated gap-out trace of city.md §3.3, exact.

use super::dynamics::junction;
use super::{city, run};

/// city.md §3.3: two conflicting one-lane approaches, 4 s all-lost intergreen (Y = 3, AR = 1,
/// l₁ = 0, l₂ = 4: effective = displayed green), minG 5, maxG 40, gap 3, continuous discharge,
/// h = 2; A reaches the stop line at 2.5 + 5i, B at 1 + 10i. After minG the green ends at the
/// first instant the time since the last crossing (or green start) is ≥ 3 s; only a crossing
/// strictly before it extends the green. Exact trace: A 0–5.5, B 9.5–14.5, A 18.5–27.5,
/// B 31.5–36.5, A 40.5–51.5, B 55.5–60.5, A 64.5–75.5, B 79.5–86.5, …; 289 greens in 3600 s;
/// 720 A and 359 B served; mean delay A 6.4944 s, B 10.4443 s (max 13.00 / 18.50).
#[test]
fn actuated_gap_out_trace_is_exact() {
    let flows = "[[city.flow]]\nname = \"a\"\nroute = [\"a-in\", \"a-out\"]\narrivals = \"deterministic\"\n\
                 headway = 5.0\noffset = 1.5\n\n\
                 [[city.flow]]\nname = \"b\"\nroute = [\"b-in\", \"b-out\"]\narrivals = \"deterministic\"\n\
                 headway = 10.0\noffset = 0.0\n";
    let text = junction(
        "discharge = \"continuous\"\nyellow = 3.0\nall_red = 1.0\nstartup_lost = 0.0\nclearance_lost = 4.0",
        r#"{ plugin = "actuated", min_green = 5.0, max_green = 40.0, gap = 3.0 }"#,
        flows,
        "length = 1.5\nspeed = 15.0\nstorage = 1000",
    );
    let r = run(&city(&text), 3600.0, 1);
    let starts: Vec<(u32, f64)> = r.greens.iter().map(|g| (g.1, g.2)).collect();
    let expected = [(0, 0.0), (1, 9.5), (0, 18.5), (1, 31.5), (0, 40.5), (1, 55.5), (0, 64.5), (1, 79.5)];
    assert_eq!(&starts[..8], &expected, "greens");
    assert_eq!(starts.len(), 289, "greens in 3600 s");
    for (subject, served, mean, max) in [(0, 720, 6.4944, 13.0), (1, 359, 10.4443, 18.5)] {
        let delays: Vec<f64> =
            r.timed("city.trip_delay").iter().filter(|x| x.1 == subject).map(|x| x.2).collect();
        assert_eq!(delays.len(), served, "approach {subject} served");
        let m = delays.iter().sum::<f64>() / delays.len() as f64;
        assert!((m - mean).abs() < 5e-5, "approach {subject}: mean delay {m} vs {mean}");
        let top = delays.iter().copied().fold(0.0, f64::max);
        assert!((top - max).abs() < 1e-9, "approach {subject}: max delay {top} vs {max}");
    }
}

/// The host's max green (node key `max_green = 15`) against a controller that would hold the
/// green for 100 s (max-pressure, `step = 100`, stop-line weights): phase 0 has saturated
/// traffic, phase 1 one vehicle that is already on its 375 m link at t = 15 (it left at 5,
/// τ = 25 s) and reaches the red stop line at 30. Past max green with no call the green rests,
/// but the host knows when that vehicle will call: the controller is asked at 30 with
/// MAX_GREEN and must switch, so phase 1's green starts at 30 + Y + AR = 34 (not at 100 + 4).
#[test]
fn a_vehicle_on_its_way_calls_off_a_green_resting_past_max_green() {
    let flows = "[[city.flow]]\nname = \"a\"\nroute = [\"a-in\", \"a-out\"]\narrivals = \"deterministic\"\n\
                 headway = 1.0\noffset = 0.0\n\n\
                 [[city.flow]]\nname = \"b\"\nroute = [\"b-in\", \"b-out\"]\narrivals = \"deterministic\"\n\
                 headway = 100000.0\noffset = 5.0\n";
    let text = junction(
        "discharge = \"continuous\"\nyellow = 3.0\nall_red = 1.0\nstartup_lost = 0.0\nclearance_lost = 4.0\n\
         max_green = 15.0",
        r#"{ plugin = "max_pressure", min_green = 5.0, step = 100.0, threshold = 8.0 }"#,
        flows,
        "length = 1.5\nspeed = 15.0\nstorage = 1000",
    );
    let long_b = "name = \"b-in\"\nfrom = \"b\"\nto = \"x\"\nlength = 375.0";
    let text = text.replacen("name = \"b-in\"\nfrom = \"b\"\nto = \"x\"\nlength = 15.0", long_b, 1);
    assert!(text.contains(long_b));
    let r = run(&city(&text), 60.0, 1);
    let starts: Vec<(u32, f64)> = r.greens.iter().map(|g| (g.1, g.2)).collect();
    assert_eq!(&starts[..2], &[(0, 0.0), (1, 34.0)], "greens");
    // The b vehicle waited from 30 to 34.
    let b: Vec<f64> = r.timed("city.trip_delay").iter().filter(|x| x.1 == 1).map(|x| x.2).collect();
    assert_eq!(b.len(), 1);
    assert!((b[0] - 4.0).abs() < 1e-9, "{b:?}");
}
