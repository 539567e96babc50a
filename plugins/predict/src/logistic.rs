//! `logistic`: binary logistic regression, P(y = 1 | x) = σ(β₀ + xᵀβ), σ(t) = 1/(1 + e⁻ᵗ).
//!
//! The fit minimises the mean log-loss plus a ridge penalty on β (never on β₀):
//!
//! ```text
//! f(β₀, β) = (1/n) Σᵢ [ log(1 + e^ηᵢ) − yᵢ ηᵢ ] + (λ/2)‖β‖²,   ηᵢ = β₀ + xᵢᵀβ
//! ```
//!
//! with argmin's L-BFGS and a Moré–Thuente line search. f is convex (strictly if λ > 0), so the
//! stationary point L-BFGS finds is the global minimum.
//!
//! The optimiser works on standardised features zⱼ = (xⱼ − mⱼ)/sⱼ (mean and standard deviation;
//! without an intercept, m = 0 and s is the root mean square) with coefficients γⱼ = sⱼβⱼ and
//! γ₀ = β₀ + Σ βⱼmⱼ. This is an exact change of variables: the penalty is written back in the
//! original units, (λ/2) Σ γⱼ²/sⱼ², so the minimiser is the same, but the curvature is far better
//! balanced when features have different scales, which L-BFGS needs to converge in few steps.

use argmin::core::{CostFunction, Error, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::{DMatrix, DVector};
use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, LogLevel, Matrix, PluginError, Predictor};

use crate::data::{check_features, check_width, column_means, compensated_sum, not_fitted};

/// Number of correction pairs L-BFGS keeps: the usual choice (Nocedal & Wright suggest 3–20);
/// the models here have few features, so the memory is negligible.
const LBFGS_MEMORY: usize = 10;

/// Binary logistic regression fitted by penalised maximum likelihood.
#[derive(Debug)]
pub struct Logistic {
    lambda: f64,
    max_iters: u64,
    tolerance: f64,
    intercept: bool,
    host: Host,
    fitted: Option<LogisticFit>,
}

/// The fitted coefficients of a logistic model and how the optimiser ended.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticFit {
    /// β₀ (0 when the model has no intercept).
    pub intercept: f64,
    /// β, one per feature.
    pub coefficients: Vec<f64>,
    /// L-BFGS iterations used.
    pub iterations: u64,
    /// Whether L-BFGS met its stopping criterion (otherwise the best point found is kept).
    pub converged: bool,
}

impl LogisticFit {
    /// P(y = 1 | x) for one observation, in [0, 1] (NaN only if the linear predictor is).
    pub fn predict_one(&self, x: &[f64]) -> f64 {
        sigmoid(self.intercept + self.coefficients.iter().zip(x).map(|(b, v)| b * v).sum::<f64>())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_lambda")]
    lambda: f64,
    #[serde(default = "default_max_iters")]
    max_iters: u64,
    #[serde(default = "default_tolerance")]
    tolerance: f64,
    #[serde(default = "default_intercept")]
    intercept: bool,
}

/// Small enough to bias a non-separable fit negligibly (the shift is ≈ λ·I⁻¹β, I the Fisher
/// information, so ~1e-6 relative), large enough that separable classes, which have no finite
/// maximum-likelihood estimate, still give bounded coefficients.
fn default_lambda() -> f64 {
    1e-6
}

fn default_max_iters() -> u64 {
    200
}

fn default_tolerance() -> f64 {
    1e-8
}

fn default_intercept() -> bool {
    true
}

impl Logistic {
    /// The coefficients, once fitted.
    pub fn fitted(&self) -> Option<&LogisticFit> {
        self.fitted.as_ref()
    }
}

impl Component for Logistic {
    const NAME: &'static str = "logistic";
    const DESCRIPTION: &'static str =
        "binary logistic regression (targets 0 or 1): predicts P(y = 1 | x) = σ(β₀ + xᵀβ)";
    const PARAMETERS: &'static str = "\
lambda: ridge penalty (λ/2)‖β‖² added to the mean log-loss; keeps separable data bounded (number >= 0, 1e-6)
max_iters: maximum number of L-BFGS iterations (integer >= 1, 200)
tolerance: stop when the gradient norm (standardised features) falls below this (number > 0, 1e-8)
intercept: fit an unpenalised intercept β₀ (bool, true)";

    fn new(config: &Config<'_>, host: &Host) -> Result<Self, PluginError> {
        let Params { lambda, max_iters, tolerance, intercept } = config.parse()?;
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(PluginError::invalid_config(format!(
                "`lambda` must be finite and >= 0, found {lambda}"
            )));
        }
        if max_iters == 0 {
            return Err(PluginError::invalid_config("`max_iters` must be >= 1, found 0"));
        }
        if !(tolerance > 0.0 && tolerance.is_finite()) {
            return Err(PluginError::invalid_config(format!(
                "`tolerance` must be finite and > 0, found {tolerance}"
            )));
        }
        Ok(Logistic { lambda, max_iters, tolerance, intercept, host: *host, fitted: None })
    }
}

impl Predictor for Logistic {
    fn fit(&mut self, x: Matrix<'_>, y: &[f64]) -> Result<(), PluginError> {
        // A failed fit must not leave an older model behind to predict with silently.
        self.fitted = None;
        let (n, p) = (x.rows(), x.cols());
        if n == 0 {
            return Err(PluginError::invalid_input("`logistic` cannot be fitted to 0 rows"));
        }
        check_features(&x)?;
        if let Some(i) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(PluginError::invalid_input(format!(
                "target of row {i} is {}; logistic regression needs targets 0 or 1",
                y[i]
            )));
        }

        let scaling = Scaling::new(&x, self.intercept);
        let objective = Objective {
            z: DMatrix::from_fn(n, p, |i, j| (x.row(i)[j] - scaling.mean[j]) / scaling.scale[j]),
            positive: y.iter().map(|&v| v == 1.0).collect(),
            penalty: DVector::from_iterator(p, scaling.scale.iter().map(|s| self.lambda / (s * s))),
            intercept: self.intercept,
        };

        // Start at the intercept-only fit: with centred features, γ₀ = logit(ȳ) is its exact
        // minimiser, so L-BFGS starts close whenever the features explain little.
        let offset = usize::from(self.intercept);
        let mut init = DVector::zeros(offset + p);
        let rate = y.iter().sum::<f64>() / n as f64;
        if self.intercept && rate > 0.0 && rate < 1.0 {
            init[0] = (rate / (1.0 - rate)).ln();
        }

        let solver = LBFGS::new(MoreThuenteLineSearch::new(), LBFGS_MEMORY)
            .with_tolerance_grad(self.tolerance)
            .map_err(|e| PluginError::invalid_config(e.to_string()))?;
        let max_iters = self.max_iters;
        let result = Executor::new(&objective, solver)
            .configure(|state| state.param(init).max_iters(max_iters))
            .run()
            .map_err(|e| PluginError::failed(format!("L-BFGS failed: {e}")))?;
        let state = result.state();
        let iterations = state.get_iter();
        let converged = matches!(state.get_termination_reason(), Some(TerminationReason::SolverConverged));

        // Non-convergence alone is not an error: L-BFGS only ever accepts steps that lower the
        // cost, so the best point is a usable (if imprecise) fit. Only a non-finite one is not.
        let best = state.get_best_param().filter(|g| g.iter().all(|v| v.is_finite())).ok_or_else(|| {
            PluginError::failed(format!(
                "L-BFGS found no finite coefficients ({}): rescale the features or raise lambda",
                state.get_termination_status()
            ))
        })?;
        if !converged {
            let gradient = objective.gradient_of(best).norm();
            self.host.log(
                LogLevel::Warn,
                &format!(
                    "L-BFGS stopped after {iterations} iteration(s) ({}) with gradient norm {gradient:.3e} \
                     above tolerance {:e}; keeping the best coefficients found. Raise max_iters, or lambda \
                     if the classes are (nearly) separable",
                    state.get_termination_status(),
                    self.tolerance
                ),
            );
        }

        let coefficients: Vec<f64> = (0..p).map(|j| best[offset + j] / scaling.scale[j]).collect();
        let intercept = if self.intercept {
            best[0] - coefficients.iter().zip(&scaling.mean).map(|(b, m)| b * m).sum::<f64>()
        } else {
            0.0
        };
        if !intercept.is_finite() || coefficients.iter().any(|b| !b.is_finite()) {
            return Err(PluginError::failed("the coefficients overflowed: rescale the features"));
        }
        self.fitted = Some(LogisticFit { intercept, coefficients, iterations, converged });
        Ok(())
    }

    fn predict(&mut self, x: Matrix<'_>, out: &mut [f64]) -> Result<(), PluginError> {
        let fit = self.fitted.as_ref().ok_or_else(|| not_fitted(Self::NAME))?;
        check_width(&x, fit.coefficients.len(), Self::NAME)?;
        check_features(&x)?;
        for (i, o) in out.iter_mut().enumerate() {
            *o = fit.predict_one(x.row(i));
            if o.is_nan() {
                // Only when β₀ + xᵀβ is ∞ − ∞: features far outside anything sensible.
                return Err(PluginError::failed(format!(
                    "the linear predictor of row {i} overflows: its features are too large for the fitted model"
                )));
            }
        }
        Ok(())
    }
}

/// The standardisation of the features (see the module documentation).
struct Scaling {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaling {
    fn new(x: &Matrix<'_>, intercept: bool) -> Self {
        let n = x.rows() as f64;
        // Without an intercept, centring would change the model (no β₀ to absorb the shift).
        let mean = if intercept { column_means(x) } else { vec![0.0; x.cols()] };
        let mut scale = vec![0.0; x.cols()];
        for i in 0..x.rows() {
            for ((s, v), m) in scale.iter_mut().zip(x.row(i)).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        for s in &mut scale {
            *s = (*s / n).sqrt();
            // A constant (all-zero after centring) column carries no information; its coefficient
            // is then decided by the penalty alone. Overflowed squares: fall back to no scaling.
            if !(s.is_finite() && *s > 0.0) {
                *s = 1.0;
            }
        }
        Scaling { mean, scale }
    }
}

/// f in the standardised coordinates: parameters `[γ₀, γ₁, …, γₚ]` (no γ₀ without intercept).
struct Objective {
    /// n × p standardised features.
    z: DMatrix<f64>,
    /// yᵢ = 1.
    positive: Vec<bool>,
    /// λ/sⱼ²: the penalty (λ/2)‖β‖² in terms of γ.
    penalty: DVector<f64>,
    intercept: bool,
}

impl Objective {
    /// The linear predictors η = γ₀ + Zγ.
    fn eta(&self, theta: &DVector<f64>) -> DVector<f64> {
        let offset = usize::from(self.intercept);
        let mut eta = &self.z * theta.rows(offset, self.z.ncols());
        if self.intercept {
            eta.add_scalar_mut(theta[0]);
        }
        eta
    }

    fn cost_of(&self, theta: &DVector<f64>) -> f64 {
        let offset = usize::from(self.intercept);
        let eta = self.eta(theta);
        // −log σ(η) = softplus(−η) for y = 1 and −log(1 − σ(η)) = softplus(η) for y = 0:
        // choosing the branch per class avoids the cancellation of softplus(η) − η.
        let loss = compensated_sum(
            eta.iter().zip(&self.positive).map(|(&e, &pos)| softplus(if pos { -e } else { e })),
        );
        let gamma = theta.rows(offset, self.z.ncols());
        let penalty = 0.5 * gamma.iter().zip(self.penalty.iter()).map(|(g, w)| w * g * g).sum::<f64>();
        loss / self.z.nrows() as f64 + penalty
    }

    fn gradient_of(&self, theta: &DVector<f64>) -> DVector<f64> {
        let offset = usize::from(self.intercept);
        let n = self.z.nrows() as f64;
        // ∂loss/∂ηᵢ = σ(ηᵢ) − yᵢ.
        let mut residual = self.eta(theta);
        for (r, &pos) in residual.iter_mut().zip(&self.positive) {
            *r = sigmoid(*r) - if pos { 1.0 } else { 0.0 };
        }
        let mut gradient = DVector::zeros(theta.len());
        if self.intercept {
            gradient[0] = compensated_sum(residual.iter().copied()) / n;
        }
        let slopes = self.z.tr_mul(&residual) / n;
        for j in 0..self.z.ncols() {
            gradient[offset + j] = slopes[j] + self.penalty[j] * theta[offset + j];
        }
        gradient
    }
}

impl CostFunction for &Objective {
    type Param = DVector<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> Result<f64, Error> {
        Ok(self.cost_of(theta))
    }
}

impl Gradient for &Objective {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;

    fn gradient(&self, theta: &Self::Param) -> Result<DVector<f64>, Error> {
        Ok(self.gradient_of(theta))
    }
}

/// log(1 + eᵗ) without overflow for large t or loss of precision for very negative t.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// 1/(1 + e⁻ᵗ), evaluated so that the exponential never overflows.
fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};
    use xinzhi_plugin::Status;

    use super::*;

    fn model(json: &str) -> Logistic {
        Logistic::new(&Config::new(json), &Host::detached(0)).unwrap()
    }

    /// The objective f(β₀, β) and its gradient in the original units, written out directly
    /// from the definition (no standardisation, no shared code with the model): the
    /// independent check of the optimality condition ∇f = 0.
    fn original_gradient(x: &Matrix<'_>, y: &[f64], lambda: f64, b0: f64, beta: &[f64]) -> Vec<f64> {
        let n = x.rows() as f64;
        let mut g = vec![0.0; 1 + beta.len()];
        for (i, &yi) in y.iter().enumerate() {
            let eta = b0 + beta.iter().zip(x.row(i)).map(|(b, v)| b * v).sum::<f64>();
            let r = 1.0 / (1.0 + (-eta).exp()) - yi;
            g[0] += r / n;
            for (gj, v) in g[1..].iter_mut().zip(x.row(i)) {
                *gj += r * v / n;
            }
        }
        for (gj, b) in g[1..].iter_mut().zip(beta) {
            *gj += lambda * b;
        }
        g
    }

    /// A small non-separable set (the classes overlap in both features), 12 rows.
    const SMALL_X: [f64; 24] = [
        0.5, 1.0, 1.0, -0.5, 1.5, 2.0, 2.0, 0.0, 2.5, 1.5, 3.0, -1.0, //
        3.5, 0.5, 4.0, 2.5, 4.5, -0.5, 5.0, 1.0, 5.5, 3.0, 6.0, 0.0,
    ];
    const SMALL_Y: [f64; 12] = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];

    #[test]
    fn recovers_coefficients_within_asymptotic_standard_errors() {
        const B0: f64 = -0.5;
        const BETA: [f64; 2] = [1.5, -2.0];
        let n = 20_000;
        let mut rng = StdRng::seed_from_u64(7);
        let data: Vec<f64> = (0..2 * n).map(|_| StandardNormal.sample(&mut rng)).collect();
        let x = Matrix::new(&data, n, 2).unwrap();
        let eta = |row: &[f64]| B0 + BETA[0] * row[0] + BETA[1] * row[1];
        let y: Vec<f64> =
            (0..n).map(|i| if rng.random_bool(sigmoid(eta(x.row(i)))) { 1.0 } else { 0.0 }).collect();

        let mut m = model("{}");
        m.fit(x, &y).unwrap();
        let fit = m.fitted().unwrap().clone();
        assert!(fit.converged, "{fit:?}");

        // The MLE is asymptotically N(β, I⁻¹/n) with I = E[σ'(η) x̃x̃ᵀ], x̃ = (1, x). Estimate I
        // by its sample average at the *true* β (so the bound does not depend on the fit).
        // Here η ~ N(−0.5, 2.5²), E[σ'(η)] ≈ 0.1, so the SEs are ≈ 1/√(n·0.1·…) ≈ 0.02–0.04.
        let mut info = DMatrix::<f64>::zeros(3, 3);
        for i in 0..n {
            let row = x.row(i);
            let p = sigmoid(eta(row));
            let xt = DVector::from_column_slice(&[1.0, row[0], row[1]]);
            info += (&xt * xt.transpose()) * (p * (1.0 - p) / n as f64);
        }
        let cov = info.try_inverse().unwrap() / n as f64;
        // The default λ = 1e-6 shifts the estimate by ≈ λ·I⁻¹β ~ 1e-5, < 1e-3 SE: negligible.
        let estimates = [fit.intercept, fit.coefficients[0], fit.coefficients[1]];
        let truths = [B0, BETA[0], BETA[1]];
        for j in 0..3 {
            let se = cov[(j, j)].sqrt();
            assert!(se > 0.01 && se < 0.06, "SE {se} of coefficient {j} is not as reasoned above");
            // Beyond 5 SE with probability 5.7e-7 each (for this seed the test is deterministic).
            let z = (estimates[j] - truths[j]) / se;
            assert!(z.abs() < 5.0, "coefficient {j}: {} vs {} is {z:.2} SE away", estimates[j], truths[j]);
        }

        // Probabilities, even far outside the training data, are in [0, 1].
        let probe = [0.0, 0.0, 1e6, -1e6, -1e6, 1e6, 1e300, 1e300, 3.0, -2.0];
        let mut out = [f64::NAN; 5];
        m.predict(Matrix::new(&probe, 5, 2).unwrap(), &mut out).unwrap();
        assert!(out.iter().all(|p| (0.0..=1.0).contains(p)), "{out:?}");
        assert!((out[0] - sigmoid(fit.intercept)).abs() < 1e-15);
        assert_eq!((out[1], out[2]), (1.0, 0.0));
    }

    #[test]
    fn optimum_satisfies_the_first_order_condition() {
        let x = Matrix::new(&SMALL_X, 12, 2).unwrap();
        for lambda in [0.0, 1e-6, 0.1] {
            let mut m = model(&format!(r#"{{"lambda": {lambda}}}"#));
            m.fit(x, &SMALL_Y).unwrap();
            let fit = m.fitted().unwrap();
            assert!(fit.converged, "{fit:?}");
            let g = original_gradient(&x, &SMALL_Y, lambda, fit.intercept, &fit.coefficients);
            // L-BFGS stops at ‖∇_γ f‖ < 1e-8; ∂f/∂βⱼ = sⱼ ∂f/∂γⱼ + mⱼ ∂f/∂γ₀ with sⱼ, |mⱼ| < 4 here,
            // so ‖∇_β f‖ < ~1e-7 (or f stopped decreasing at double precision, which is tighter).
            let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(norm < 1e-7, "lambda {lambda}: gradient {g:?} at {fit:?}");
        }
    }

    #[test]
    fn penalty_shrinks_the_slopes() {
        let x = Matrix::new(&SMALL_X, 12, 2).unwrap();
        let norms: Vec<f64> = [0.0, 0.01, 0.1, 1.0, 10.0]
            .iter()
            .map(|lambda| {
                let mut m = model(&format!(r#"{{"lambda": {lambda}}}"#));
                m.fit(x, &SMALL_Y).unwrap();
                m.fitted().unwrap().coefficients.iter().map(|b| b * b).sum::<f64>().sqrt()
            })
            .collect();
        // The penalised minimiser's ‖β‖ is non-increasing in λ; here strictly decreasing.
        assert!(norms.windows(2).all(|w| w[1] < w[0]), "{norms:?}");
        // With a huge penalty the slopes vanish and the unpenalised intercept alone fits the
        // base rate: σ(β₀) → mean(y) = 1/2.
        let mut m = model(r#"{"lambda": 1e6}"#);
        m.fit(x, &SMALL_Y).unwrap();
        let fit = m.fitted().unwrap();
        assert!(fit.coefficients.iter().all(|b| b.abs() < 1e-5), "{fit:?}");
        assert!(fit.intercept.abs() < 1e-5, "{fit:?}");
    }

    #[test]
    fn without_intercept() {
        // y ~ Bernoulli(σ(2x₀ − x₁)): no intercept in the truth or the model.
        let n = 5_000;
        let mut rng = StdRng::seed_from_u64(8);
        let data: Vec<f64> = (0..2 * n).map(|_| StandardNormal.sample(&mut rng)).collect();
        let x = Matrix::new(&data, n, 2).unwrap();
        let y: Vec<f64> = (0..n)
            .map(|i| f64::from(u8::from(rng.random_bool(sigmoid(2.0 * x.row(i)[0] - x.row(i)[1])))))
            .collect();
        let mut m = model(r#"{"intercept": false}"#);
        m.fit(x, &y).unwrap();
        let fit = m.fitted().unwrap();
        assert_eq!(fit.intercept, 0.0);
        // SEs at n = 5000 are ≈ 0.03–0.05; 0.25 is > 5 SE.
        assert!(
            (fit.coefficients[0] - 2.0).abs() < 0.25 && (fit.coefficients[1] + 1.0).abs() < 0.25,
            "{fit:?}"
        );
        let g = original_gradient(&x, &y, 1e-6, 0.0, &fit.coefficients);
        assert!(g[1].abs() < 1e-7 && g[2].abs() < 1e-7, "{g:?}");
    }

    #[test]
    fn rescaling_a_feature_rescales_its_coefficient() {
        // With λ = 0 the model is equivariant: multiplying feature j by dⱼ divides βⱼ by dⱼ.
        // Scales 1e3 and 1e-3 make the unstandardised Hessian's condition number ≈ 1e12; the
        // internal standardisation makes both fits the same well-conditioned problem, so they
        // agree to about the optimiser's tolerance (gradient 1e-8 and curvature ≈ 0.1 in
        // standardised units: ≈ 1e-7 relative; 1e-6 allowed).
        let x = Matrix::new(&SMALL_X, 12, 2).unwrap();
        let scaled: Vec<f64> = SMALL_X.chunks(2).flat_map(|r| [r[0] * 1e3, r[1] * 1e-3]).collect();
        let xs = Matrix::new(&scaled, 12, 2).unwrap();
        let mut m = model(r#"{"lambda": 0}"#);
        m.fit(x, &SMALL_Y).unwrap();
        let plain = m.fitted().unwrap().clone();
        m.fit(xs, &SMALL_Y).unwrap();
        let fit = m.fitted().unwrap();
        assert!(fit.converged, "{fit:?}");
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1e-3);
        assert!(close(fit.intercept, plain.intercept), "{fit:?} vs {plain:?}");
        assert!(close(fit.coefficients[0] * 1e3, plain.coefficients[0]), "{fit:?} vs {plain:?}");
        assert!(close(fit.coefficients[1] * 1e-3, plain.coefficients[1]), "{fit:?} vs {plain:?}");
    }

    #[test]
    fn iteration_limit_keeps_the_best_point() {
        // One L-BFGS step cannot reach the optimum, but the point it reaches has a lower cost
        // than the start and predicts valid probabilities: reported, not an error.
        let x = Matrix::new(&SMALL_X, 12, 2).unwrap();
        let mut m = model(r#"{"max_iters": 1}"#);
        m.fit(x, &SMALL_Y).unwrap();
        let fit = m.fitted().unwrap();
        assert!(!fit.converged && fit.iterations == 1, "{fit:?}");
        let mut out = [f64::NAN; 12];
        m.predict(x, &mut out).unwrap();
        assert!(out.iter().all(|p| (0.0..=1.0).contains(p)), "{out:?}");
    }

    #[test]
    fn separable_classes_stay_bounded() {
        // y = 1 exactly when x > 2.5: no finite MLE without a penalty.
        let data: Vec<f64> = (0..6).map(f64::from).collect();
        let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let x = Matrix::new(&data, 6, 1).unwrap();
        for json in ["{}", r#"{"lambda": 0}"#] {
            let mut m = model(json);
            m.fit(x, &y).unwrap();
            let mut out = [0.0; 6];
            m.predict(x, &mut out).unwrap();
            assert!(out.iter().zip(&y).all(|(p, t)| (p - t).abs() < 0.5 && p.is_finite()), "{json}: {out:?}");
        }
    }

    #[test]
    fn errors_are_plain() {
        let x = Matrix::new(&SMALL_X, 12, 2).unwrap();
        let mut m = model("{}");
        let e = m.predict(x, &mut [0.0; 12]).unwrap_err();
        assert_eq!(e.status, Status::FAILED);
        assert!(e.message.contains("not fitted"), "{e}");

        let mut y = SMALL_Y;
        y[4] = 0.5;
        let e = m.fit(x, &y).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(e.message, "target of row 4 is 0.5; logistic regression needs targets 0 or 1");
        y[4] = -1.0;
        assert!(m.fit(x, &y).unwrap_err().message.starts_with("target of row 4 is -1;"));

        m.fit(x, &SMALL_Y).unwrap();
        let e = m.predict(Matrix::new(&SMALL_X, 8, 3).unwrap(), &mut [0.0; 8]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        let mut nan = SMALL_X;
        nan[5] = f64::NAN;
        let e = m.predict(Matrix::new(&nan, 12, 2).unwrap(), &mut [0.0; 12]).unwrap_err();
        assert_eq!(e.message, "feature 1 of row 2 is NaN; features must be finite");
        let e = m.fit(Matrix::new(&nan, 12, 2).unwrap(), &SMALL_Y).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert!(m.fitted().is_none());
        let e = m.fit(Matrix::new(&[], 0, 2).unwrap(), &[]).unwrap_err();
        assert_eq!(e.message, "`logistic` cannot be fitted to 0 rows");
    }

    #[test]
    fn bad_parameters_are_named() {
        let new = |json: &str| Logistic::new(&Config::new(json), &Host::detached(0)).unwrap_err();
        let e = new(r#"{"lambda": 0.1, "max_iter": 5}"#);
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert!(e.message.contains("unknown field `max_iter`"), "{e}");
        assert_eq!(new(r#"{"lambda": -1}"#).message, "`lambda` must be finite and >= 0, found -1");
        assert_eq!(new(r#"{"max_iters": 0}"#).message, "`max_iters` must be >= 1, found 0");
        assert_eq!(new(r#"{"tolerance": 0}"#).message, "`tolerance` must be finite and > 0, found 0");
        assert_eq!(new(r#"{"max_iters": -3}"#).status, Status::INVALID_CONFIG);
        assert_eq!(new(r#"{"intercept": "yes"}"#).status, Status::INVALID_CONFIG);
    }

    #[test]
    fn stable_primitives() {
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
        assert!((sigmoid(0.3) + sigmoid(-0.3) - 1.0).abs() < 1e-16);
        assert_eq!(softplus(800.0), 800.0);
        assert!((softplus(-800.0)).abs() < 1e-300);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-16);
        assert!((softplus(-40.0) - (-40f64).exp()).abs() < 1e-30);
    }
}
