//! Predictors through the C ABI: the built-in `linear` and `logistic`, called through the host's
//! wrappers (statically linked) and from the dynamically loaded `libxinzhi_predict.so`.

use xinzhi_core::plugin::{ComponentKind, PluginLib, PredictorInstance, Registry, Services};

use crate::plugins::build_so;

/// The two registries: static (linked into this test) and dynamic (the `.so` cargo built).
fn registries() -> [Registry; 2] {
    let statics = Registry::with_builtins(&[xinzhi_predict::plugin_library()]).expect("built-in registers");
    let mut dynamic = Registry::new();
    let lib = PluginLib::load(&build_so("xinzhi-predict")).expect("the .so loads");
    dynamic.add(lib, None).expect("registers");
    [statics, dynamic]
}

fn predictor(registry: &Registry, name: &str, params: &str) -> PredictorInstance {
    registry
        .find(name, ComponentKind::PREDICTOR)
        .expect("known")
        .predictor(params, Services { seed: 1, replication: 0 })
        .expect("created")
}

/// A deterministic, well-spread design: x0 = sin-like, x1 = a linear congruential sequence.
fn design(rows: usize) -> Vec<f64> {
    let mut state: u64 = 12345;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    };
    (0..rows * 2).map(|_| next()).collect()
}

#[test]
fn linear_recovers_exact_coefficients_statically_and_from_the_so() {
    let x = design(60);
    let truth = |r: &[f64]| 5.0 + 2.0 * r[0] - 3.0 * r[1];
    let y: Vec<f64> = x.chunks(2).map(truth).collect();
    let probe = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.7, -1.3];
    let mut answers = Vec::new();
    for registry in registries() {
        let mut p = predictor(&registry, "linear", "{}");
        p.fit(&x, 2, &y).expect("fits");
        let out = p.predict(&probe, 2).expect("predicts");
        // Noise-free data: intercept 5 and slopes 2, -3 come back to rounding error.
        for (o, r) in out.iter().zip(probe.chunks(2)) {
            assert!((o - truth(r)).abs() < 1e-9, "{o} vs {}", truth(r));
        }
        answers.push(out);
    }
    assert_eq!(answers[0], answers[1], "static and dynamic builds compute the same bits");
}

#[test]
fn logistic_recovers_coefficients_statically_and_from_the_so() {
    // Labels from thresholding the true log-odds against logistic noise drawn by inversion from a
    // deterministic sequence: y = 1 iff u < σ(β·x) with u uniform. n = 20 000.
    let n = 20_000;
    let x = design(n);
    let beta = [-0.5, 1.5, -2.0];
    let mut state: u64 = 99;
    let mut uniform = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let y: Vec<f64> = x
        .chunks(2)
        .map(|r| {
            let p = 1.0 / (1.0 + (-(beta[0] + beta[1] * r[0] + beta[2] * r[1])).exp());
            f64::from(u8::from(uniform() < p))
        })
        .collect();
    let mut answers = Vec::new();
    for registry in registries() {
        let mut p = predictor(&registry, "logistic", r#"{"lambda": 0.0}"#);
        p.fit(&x, 2, &y).expect("fits");
        // Read the fitted log-odds back at the unit points: logit p(0,0) = β0, etc.
        let probs = p.predict(&[0.0, 0.0, 1.0, 0.0, 0.0, 1.0], 2).expect("predicts");
        let logit = |q: f64| (q / (1.0 - q)).ln();
        let b0 = logit(probs[0]);
        let (b1, b2) = (logit(probs[1]) - b0, logit(probs[2]) - b0);
        // Asymptotic standard errors at n = 20 000 with x uniform on [-2, 2]² are about 0.02
        // (intercept) and 0.02–0.03 (slopes); 0.15 is over five of them.
        for (got, want) in [(b0, beta[0]), (b1, beta[1]), (b2, beta[2])] {
            assert!((got - want).abs() < 0.15, "fitted {got}, true {want}");
        }
        answers.push(probs);
    }
    assert_eq!(answers[0], answers[1], "static and dynamic builds compute the same bits");
}

#[test]
fn predictor_outputs_and_inputs_are_validated() {
    let [registry, _] = registries();
    let mut p = predictor(&registry, "linear", "{}");
    let e = p.predict(&[1.0, 2.0], 2).expect_err("predict before fit");
    assert!(e.to_string().contains("xinzhi-predict/linear"), "{e}");
    let e = p.fit(&[1.0, 2.0, 3.0], 2, &[1.0]).expect_err("ragged matrix");
    assert!(e.to_string().contains("do not fill rows"), "{e}");
    let e = registry
        .find("logistic", ComponentKind::PREDICTOR)
        .expect("known")
        .predictor(r#"{"lamda": 1}"#, Services { seed: 1, replication: 0 })
        .expect_err("misspelt key");
    assert!(e.message.contains("lamda"), "{e}");
}
