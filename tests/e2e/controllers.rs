//! Signal controllers through the C ABI (plugin kind `signal`, ABI 1.2): the built-in
//! `xinzhi-signals`, called through the host's validating `SignalInstance`, statically linked
//! and from the loaded `libxinzhi_signals.so`.

use xinzhi_core::plugin::{
    ComponentKind, IntersectionObs, MovementObs, PluginLib, Registry, Services, SignalDecision,
    SignalInstance,
};

use crate::common::xinzhi;
use crate::plugins::build_so;

/// The two registries: static (linked into this test) and dynamic (the `.so` cargo built).
fn registries() -> [Registry; 2] {
    let statics = Registry::with_builtins(&[xinzhi_signals::plugin_library()]).expect("built-in registers");
    let mut dynamic = Registry::new();
    dynamic
        .add(PluginLib::load(&build_so("xinzhi-signals")).expect("the .so loads"), None)
        .expect("registers");
    [statics, dynamic]
}

fn controller(registry: &Registry, name: &str, params: &str) -> SignalInstance {
    registry
        .find(name, ComponentKind::SIGNAL)
        .expect("known")
        .signal(params, Services { seed: 1, replication: 0 })
        .expect("created")
}

/// A deterministic sequence in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() * f64::from(n)) as u32
    }
}

/// One batch: node 0 (four movements, phases N+S and E+W) and node 3 (two movements, one per
/// phase), in states drawn from `rng`; the arrays as the host passes them.
struct Batch {
    nodes: Vec<IntersectionObs>,
    movements: Vec<MovementObs>,
    starts: Vec<u32>,
    phase_movements: Vec<u32>,
}

fn batch(rng: &mut Lcg) -> Batch {
    let mut movements = Vec::new();
    for _ in 0..6 {
        let queue = rng.below(12);
        movements.push(MovementObs {
            in_link: rng.below(20),
            out_link: rng.below(20),
            queue,
            on_link: queue + rng.below(5),
            down_free: rng.below(30),
            lanes: 1 + rng.below(2),
            sat_flow_vph: 1800.0,
            since_departure_s: if rng.next() < 0.2 { f64::INFINITY } else { 10.0 * rng.next() },
            down_weighted_queue: 8.0 * rng.next(),
            design_flow_vph: 100.0 + 300.0 * rng.next(),
        });
    }
    let mut node = |node, first_movement, n_movements, first_phase| IntersectionObs {
        node,
        phase: rng.below(2),
        n_phases: 2,
        reason: rng.below(3),
        elapsed_green_s: 50.0 * rng.next(),
        min_green_s: 5.0,
        max_green_s: 45.0,
        intergreen_s: 4.0,
        lost_per_phase_s: 4.0,
        first_movement,
        n_movements,
        first_phase,
        _reserved: 0,
    };
    let nodes = vec![node(0, 0, 4, 0), node(3, 4, 2, 3)];
    Batch { nodes, movements, starts: vec![0, 2, 4, 4, 5, 6], phase_movements: vec![0, 1, 2, 3, 4, 5] }
}

#[test]
fn built_in_controllers_answer_identically_statically_and_from_the_so() {
    let cases = [
        ("fixed_time", r#"{"cycle": 60, "greens": [26, 26], "offsets": 7}"#),
        ("fixed_time", r#"{"mode": "webster"}"#),
        ("actuated", "{}"),
        ("max_pressure", r#"{"threshold": 0}"#),
        ("max_pressure", r#"{"weights": "queue"}"#),
        ("mp_cycle", "{}"),
        ("longest_queue", "{}"),
    ];
    let [statics, dynamic] = registries();
    for (name, params) in cases {
        let mut answers: Vec<Vec<SignalDecision>> = Vec::new();
        for registry in [&statics, &dynamic] {
            let mut c = controller(registry, name, params);
            assert_eq!(c.name(), format!("xinzhi-signals/{name}"));
            let mut rng = Lcg(42);
            let mut out = Vec::new();
            let mut all = Vec::new();
            for epoch in 0..200 {
                let b = batch(&mut rng);
                // Every answer passed the host's checks (kind, time, phase).
                c.decide(
                    f64::from(epoch) * 5.0,
                    &b.nodes,
                    &b.movements,
                    &b.starts,
                    &b.phase_movements,
                    &mut out,
                )
                .unwrap_or_else(|e| panic!("{name} {params}: {e}"));
                assert_eq!(out.len(), 2);
                all.extend_from_slice(&out);
            }
            answers.push(all);
        }
        assert_eq!(answers[0], answers[1], "{name} {params}: static and dynamic builds answer the same");
        // The random states make every controller both extend and switch.
        let kinds = |k| answers[0].iter().filter(|d| d.kind == k).count();
        assert!(kinds(SignalDecision::EXTEND) > 0 && kinds(SignalDecision::SWITCH) > 0, "{name} {params}");
    }
}

#[test]
fn a_broken_snapshot_is_refused_by_the_plugin_not_read() {
    for registry in registries() {
        let mut c = controller(&registry, "actuated", "{}");
        let mut b = batch(&mut Lcg(1));
        b.phase_movements[5] = 6;
        let e = c
            .decide(0.0, &b.nodes, &b.movements, &b.starts, &b.phase_movements, &mut Vec::new())
            .unwrap_err();
        assert!(
            e.to_string().contains("[invalid_input] phase movement index 6 out of range (6 movements)"),
            "{e}"
        );
    }
}

#[test]
fn xinzhi_plugins_lists_the_signal_controllers() {
    let o = xinzhi(&["plugins"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("xinzhi-signals  (xinzhi-signals 0.1.0, xinzhi-plugin 0.1.0, ABI 1.2, rustc "),
        "{text}"
    );
    for name in ["fixed_time", "actuated", "max_pressure", "mp_cycle", "longest_queue"] {
        assert!(text.contains(&format!("  signal     {name:<12} ")), "{name}:\n{text}");
    }
}
