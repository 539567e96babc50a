//! Writes a demo `report.html` from synthetic results (no simulation is run).
//!
//! ```sh
//! cargo run -p xinzhi-core --example report_demo -- OUT.html
//! ```
//!
//! The numbers are made up but shaped like a real run: a machining line, two explicit
//! variants and a 4 × 2 sweep, ten replications on common random numbers, statistics computed
//! by the same `stats` and `compare` functions the engine uses.

use std::process::ExitCode;

use xinzhi_core::compare::compare;
use xinzhi_core::output::SummaryRow;
use xinzhi_core::report::{PluginInfo, Provenance, ReportInput, SeriesInput, VariantInfo, render};
use xinzhi_core::stats::summarize;

/// A tiny deterministic generator (splitmix64) with normal draws (Box–Muller).
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn pairs(xs: &[(&str, String)]) -> Vec<(String, String)> {
    xs.iter().map(|(a, b)| ((*a).to_owned(), b.clone())).collect()
}

fn demo() -> ReportInput {
    const REPS: usize = 10;
    let metrics = ["throughput", "cycle_time_mean", "wip_mean", "utilization.mill", "lost"];
    // (name, description, set, sweep, effect on each metric as a factor).
    let mut variants: Vec<(VariantInfo, [f64; 5])> = vec![
        (
            VariantInfo {
                name: "baseline".into(),
                description: Some("The line as it runs today.".into()),
                set: vec![],
                sweep: vec![],
                crossed_with: None,
                at_sweep: Vec::new(),
            },
            [1.0; 5],
        ),
        (
            VariantInfo {
                name: "two-mills".into(),
                description: Some("Buy a second milling machine.".into()),
                set: pairs(&[("factory.station.mill.machines", "2".into())]),
                sweep: vec![],
                crossed_with: None,
                at_sweep: Vec::new(),
            },
            [1.065, 0.88, 0.9, 0.52, 0.4],
        ),
        (
            VariantInfo {
                name: "faster-saw".into(),
                description: Some("Retool the saw: 10 % shorter cuts.".into()),
                set: pairs(&[("factory.station.saw.process.mean", "0.9".into())]),
                sweep: vec![],
                crossed_with: None,
                at_sweep: Vec::new(),
            },
            [1.002, 0.995, 1.003, 1.0, 0.98],
        ),
    ];
    for buffer in [2, 4, 8, 16] {
        for lathes in [1, 2] {
            let b = f64::from(buffer);
            let l = f64::from(lathes);
            let gain = 1.0 + 0.03 * (b / 2.0).log2() + 0.02 * (l - 1.0);
            let set = [
                ("factory.station.lathe.buffer", buffer.to_string()),
                ("factory.station.lathe.machines", lathes.to_string()),
            ];
            variants.push((
                VariantInfo {
                    name: format!("buffer={buffer} lathes={lathes}"),
                    description: None,
                    set: pairs(&set),
                    sweep: pairs(&set),
                    crossed_with: Some("baseline".into()),
                    at_sweep: Vec::new(),
                },
                [
                    gain,
                    1.0 + 0.04 * (b / 2.0).log2() - 0.05 * (l - 1.0),
                    1.0 + 0.08 * (b / 2.0).log2(),
                    gain,
                    1.0 / gain.powi(8),
                ],
            ));
        }
    }
    let base = [2.6, 14.2, 36.9, 0.81, 12.0];
    let sd = [0.05, 0.6, 1.6, 0.01, 2.0];
    let mut noise = Noise(2026);
    // Common random numbers: a shared per-replication shock, plus a small own one.
    let shocks: Vec<[f64; 5]> = (0..REPS).map(|_| std::array::from_fn(|_| noise.normal())).collect();
    let mut values = Vec::new();
    for (_, effect) in &variants {
        let per_metric: Vec<Vec<f64>> = (0..5)
            .map(|m| {
                (0..REPS)
                    .map(|r| base[m] * effect[m] + sd[m] * (shocks[r][m] + 0.3 * noise.normal()))
                    .collect()
            })
            .collect();
        values.push(per_metric);
    }
    let mut summary = Vec::new();
    let mut comparison = Vec::new();
    for (v, (info, _)) in variants.iter().enumerate() {
        for (m, metric) in metrics.iter().enumerate() {
            summary.push(SummaryRow {
                variant: info.name.clone(),
                sweep: Vec::new(),
                metric: (*metric).to_owned(),
                summary: summarize(&values[v][m], 0.95),
            });
        }
    }
    for (v, (info, _)) in variants.iter().enumerate().skip(1) {
        for (m, metric) in metrics.iter().enumerate() {
            let p: Vec<(f64, f64)> = values[0][m].iter().copied().zip(values[v][m].iter().copied()).collect();
            comparison.push(compare(&info.name, "baseline", metric, &p, 0.95));
        }
    }
    let mut series = Vec::new();
    for (v, (info, effect)) in variants.iter().enumerate().take(4) {
        for r in 0..REPS {
            let mut level = 0.0;
            for t in 0..120 {
                let target = base[2] * effect[2] * (1.0 - (-f64::from(t) / 15.0).exp());
                level += 0.35 * (target - level) + 1.2 * noise.normal() + 0.05 * v as f64;
                series.push(SeriesInput {
                    variant: info.name.clone(),
                    replication: u32::try_from(r).unwrap_or(0),
                    time: f64::from(t) * 84.0,
                    metric: "wip".into(),
                    value: level.max(0.0),
                });
            }
        }
    }
    ReportInput {
        name: "machining-line".into(),
        description: Some(
            "Saw → lathe/mill → inspection, two products, one week of operation. Does a second mill or a bigger lathe buffer pay off in throughput and cycle time?"
                .into(),
        ),
        time_unit: "minute".into(),
        baseline: "baseline".into(),
        variants: variants.into_iter().map(|(v, _)| v).collect(),
        sweep_paths: vec!["factory.station.lathe.buffer".into(), "factory.station.lathe.machines".into()],
        key_metrics: vec!["throughput".into(), "cycle_time_mean".into(), "wip_mean".into()],
        summary,
        comparison,
        series,
        warnings: Vec::new(),
        glossary: Vec::new(),
        provenance: Provenance {
            xinzhi_version: env!("CARGO_PKG_VERSION").into(),
            scenario_path: "scenarios/machining-line.toml".into(),
            scenario_sha256: "5f2b9c0d4e1a7b3c8d6e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e".into(),
            scenario_digest: "0c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eafb".into(),
            seed: 1,
            replications: REPS.to_string(),
            precision: None,
            rng: "ChaCha8, key splitmix64(seed, replication), stream fnv1a64(identity, purpose)".into(),
            threads_note: Some("2 threads (results do not depend on them)".into()),
            plugins: vec![
                PluginInfo {
                    name: "xinzhi-dispatch".into(),
                    crate_version: "xinzhi-dispatch 0.1.0".into(),
                    origin: "built-in".into(),
                    sha256: None,
                },
                PluginInfo {
                    name: "xinzhi-metrics".into(),
                    crate_version: "xinzhi-metrics 0.1.0".into(),
                    origin: "built-in".into(),
                    sha256: None,
                },
            ],
            complete: true,
            error: None,
        },
    }
}

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: report_demo OUT.html");
        return ExitCode::from(2);
    };
    let html = match render(&demo()) {
        Ok(html) => html,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&out, html) {
        eprintln!("error: {}: {e}", std::path::Path::new(&out).display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
