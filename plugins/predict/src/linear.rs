//! `linear`: ridge least squares, ŷ = β₀ + xᵀβ.
//!
//! The fit minimises ‖y − β₀ − Xβ‖² + λ‖β‖². The intercept is never penalised: it is removed by
//! centring X and y (then β₀ = ȳ − x̄ᵀβ), which is exactly equivalent and keeps the penalty
//! from depending on where the features' origin happens to be.
//!
//! The penalised problem is solved as the ordinary least-squares problem on the augmented
//! system `[X; √λ·I] β ≈ [y; 0]` with a Householder QR, so the condition number is that of X,
//! not of XᵀX as with the normal equations. When R is (numerically) singular, which happens
//! only with λ = 0 and collinear features, the SVD gives the minimum-norm least-squares
//! solution instead and the host is warned.

use nalgebra::{DMatrix, DVector};
use serde::Deserialize;
use xinzhi_plugin::{Component, Config, Host, LogLevel, Matrix, PluginError, Predictor};

use crate::data::{check_features, check_width, column_means, not_fitted};

/// Ridge linear regression (ordinary least squares when `lambda = 0`).
#[derive(Debug)]
pub struct Linear {
    lambda: f64,
    intercept: bool,
    host: Host,
    fitted: Option<LinearFit>,
}

/// The fitted coefficients of a linear model.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearFit {
    /// β₀ (0 when the model has no intercept).
    pub intercept: f64,
    /// β, one per feature.
    pub coefficients: Vec<f64>,
}

impl LinearFit {
    /// β₀ + xᵀβ for one observation.
    pub fn predict_one(&self, x: &[f64]) -> f64 {
        self.intercept + self.coefficients.iter().zip(x).map(|(b, v)| b * v).sum::<f64>()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    lambda: f64,
    #[serde(default = "default_intercept")]
    intercept: bool,
}

fn default_intercept() -> bool {
    true
}

impl Linear {
    /// The coefficients, once fitted.
    pub fn fitted(&self) -> Option<&LinearFit> {
        self.fitted.as_ref()
    }
}

impl Component for Linear {
    const NAME: &'static str = "linear";
    const DESCRIPTION: &'static str =
        "linear regression by least squares, with optional ridge penalty: y ≈ β₀ + xᵀβ";
    const PARAMETERS: &'static str = "\
lambda: ridge penalty λ on ‖β‖²; 0 is ordinary least squares (number >= 0, 0)
intercept: fit an unpenalised intercept β₀ (bool, true)";

    fn new(config: &Config<'_>, host: &Host) -> Result<Self, PluginError> {
        let Params { lambda, intercept } = config.parse()?;
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(PluginError::invalid_config(format!(
                "`lambda` must be finite and >= 0, found {lambda}"
            )));
        }
        Ok(Linear { lambda, intercept, host: *host, fitted: None })
    }
}

impl Predictor for Linear {
    fn fit(&mut self, x: Matrix<'_>, y: &[f64]) -> Result<(), PluginError> {
        // A failed fit must not leave an older model behind to predict with silently.
        self.fitted = None;
        let (n, p) = (x.rows(), x.cols());
        if n == 0 {
            return Err(PluginError::invalid_input("`linear` cannot be fitted to 0 rows"));
        }
        let needed = p + usize::from(self.intercept);
        if self.lambda == 0.0 && n < needed {
            return Err(PluginError::invalid_input(format!(
                "ordinary least squares (lambda = 0) with {p} feature(s){} needs at least {needed} rows, \
                 found {n}: give more rows or set lambda > 0",
                if self.intercept { " and an intercept" } else { "" },
            )));
        }
        check_features(&x)?;
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(PluginError::invalid_input(format!(
                "target of row {i} is {}; targets must be finite",
                y[i]
            )));
        }

        let (x_mean, y_mean) = if self.intercept {
            (column_means(&x), y.iter().sum::<f64>() / n as f64)
        } else {
            (vec![0.0; p], 0.0)
        };
        let coefficients = if p == 0 {
            Vec::new()
        } else {
            // Augmented system: n data rows, then p rows √λ·I (none when λ = 0).
            let extra = if self.lambda > 0.0 { p } else { 0 };
            let m = n + extra;
            let mut a = DMatrix::<f64>::zeros(m, p);
            let mut b = DVector::<f64>::zeros(m);
            for i in 0..n {
                for (j, v) in x.row(i).iter().enumerate() {
                    a[(i, j)] = v - x_mean[j];
                }
                b[i] = y[i] - y_mean;
            }
            let root = self.lambda.sqrt();
            for j in 0..extra {
                a[(n + j, j)] = root;
            }
            let (beta, full_rank) = least_squares(a, b)?;
            if !full_rank {
                self.host.log(
                    LogLevel::Warn,
                    "features are collinear (or constant): using the minimum-norm least-squares \
                     solution; set lambda > 0 for a unique fit",
                );
            }
            beta.iter().copied().collect()
        };
        let intercept = y_mean - coefficients.iter().zip(&x_mean).map(|(b, m)| b * m).sum::<f64>();
        if !intercept.is_finite() || coefficients.iter().any(|b| !b.is_finite()) {
            return Err(PluginError::failed(
                "the least-squares coefficients overflowed: rescale the features or targets",
            ));
        }
        self.fitted = Some(LinearFit { intercept, coefficients });
        Ok(())
    }

    fn predict(&mut self, x: Matrix<'_>, out: &mut [f64]) -> Result<(), PluginError> {
        let fit = self.fitted.as_ref().ok_or_else(|| not_fitted(Self::NAME))?;
        check_width(&x, fit.coefficients.len(), Self::NAME)?;
        check_features(&x)?;
        for (i, o) in out.iter_mut().enumerate() {
            *o = fit.predict_one(x.row(i));
            if !o.is_finite() {
                return Err(PluginError::failed(format!(
                    "the prediction for row {i} overflows: its features are too large for the fitted model"
                )));
            }
        }
        Ok(())
    }
}

/// Minimises ‖a·β − b‖ for `a` with at least as many rows as columns; also says whether `a`
/// had full column rank (if not, the result is the minimum-norm minimiser).
fn least_squares(a: DMatrix<f64>, b: DVector<f64>) -> Result<(DVector<f64>, bool), PluginError> {
    let (m, p) = a.shape();
    debug_assert!(m >= p, "checked by the caller");
    // Relative rank threshold, as LAPACK's xGELSD / numpy's lstsq default: singular values
    // (here |Rᵢᵢ|) below ε·max(m, p)·(largest) are indistinguishable from rounding.
    let rank_tol = |largest: f64| f64::EPSILON * m.max(p) as f64 * largest;

    let qr = a.clone().qr();
    let r = qr.r();
    let diag_max = r.diagonal().amax();
    let tol = rank_tol(diag_max);
    if diag_max > 0.0 && r.diagonal().iter().all(|d| d.abs() > tol) {
        let mut qtb = b.clone();
        qr.q_tr_mul(&mut qtb);
        let rhs = qtb.rows(0, p).into_owned();
        if let Some(beta) = r.solve_upper_triangular(&rhs)
            && beta.iter().all(|v| v.is_finite())
        {
            return Ok((beta, true));
        }
    }

    // Rank-deficient: pseudo-inverse through the SVD (the same threshold on singular values).
    // nalgebra's own default convergence threshold (5ε): with ε alone its SVD of a rank-deficient
    // tall matrix can come back wrong (seen with nalgebra 0.34.2), hence also the check below.
    // The iteration cap: a matrix whose norms overflowed would otherwise never converge.
    let max_niter = 1000 + 100 * p;
    let svd = nalgebra::SVD::try_new(a.clone(), true, true, 5.0 * f64::EPSILON, max_niter)
        .ok_or_else(|| PluginError::failed("the singular value decomposition did not converge"))?;
    let tol = rank_tol(svd.singular_values.max());
    let beta = svd.solve(&b, tol).map_err(PluginError::failed)?;
    let recomposed = svd.recompose().map_err(PluginError::failed)?;
    let a_norm = a.norm();
    // A backward-stable SVD reconstructs `a` to a few ε·‖a‖; 1e-10 only catches real failures.
    let error = (recomposed - &a).norm();
    if error.is_nan() || error > 1e-10 * a_norm || beta.iter().any(|v| !v.is_finite()) {
        return Err(PluginError::failed(
            "the features are rank-deficient and their singular value decomposition is inaccurate: \
             remove collinear features or set lambda > 0",
        ));
    }
    Ok((beta, false))
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, Normal};
    use xinzhi_plugin::Status;

    use super::*;

    fn model(json: &str) -> Linear {
        Linear::new(&Config::new(json), &Host::detached(0)).unwrap()
    }

    /// `rows` observations of `cols` features uniform on [−3, 3].
    fn features(rng: &mut StdRng, rows: usize, cols: usize) -> Vec<f64> {
        (0..rows * cols).map(|_| rng.random_range(-3.0..3.0)).collect()
    }

    const TRUE_INTERCEPT: f64 = 5.0;
    const TRUE_BETA: [f64; 3] = [2.0, -3.0, 0.5];

    fn truth(row: &[f64]) -> f64 {
        TRUE_INTERCEPT + TRUE_BETA.iter().zip(row).map(|(b, v)| b * v).sum::<f64>()
    }

    #[test]
    fn recovers_exact_coefficients_without_noise() {
        let mut rng = StdRng::seed_from_u64(1);
        let data = features(&mut rng, 50, 3);
        let x = Matrix::new(&data, 50, 3).unwrap();
        let y: Vec<f64> = (0..50).map(|i| truth(x.row(i))).collect();
        let mut m = model("{}");
        m.fit(x, &y).unwrap();
        let fit = m.fitted().unwrap();
        // Noise-free data with a well-conditioned design (cond(X) ≈ a few): QR is backward
        // stable, so the error is a few ulps times cond(X) times |β| ≈ 1e-14. 1e-9 is loose.
        assert!((fit.intercept - TRUE_INTERCEPT).abs() < 1e-9, "{fit:?}");
        for (b, t) in fit.coefficients.iter().zip(TRUE_BETA) {
            assert!((b - t).abs() < 1e-9, "{fit:?}");
        }

        let new = features(&mut rng, 7, 3);
        let xn = Matrix::new(&new, 7, 3).unwrap();
        let mut out = [0.0; 7];
        m.predict(xn, &mut out).unwrap();
        for (i, o) in out.iter().enumerate() {
            assert!((o - truth(xn.row(i))).abs() < 1e-9);
        }
    }

    #[test]
    fn noisy_coefficients_are_within_five_standard_errors() {
        let (n, sigma) = (200, 0.5);
        let mut rng = StdRng::seed_from_u64(2);
        let data = features(&mut rng, n, 3);
        let x = Matrix::new(&data, n, 3).unwrap();
        let noise = Normal::new(0.0, sigma).unwrap();
        let y: Vec<f64> = (0..n).map(|i| truth(x.row(i)) + noise.sample(&mut rng)).collect();
        let mut m = model("{}");
        m.fit(x, &y).unwrap();
        let fit = m.fitted().unwrap();

        // Given X, OLS with N(0, σ²) noise has β̂ − β ~ N(0, σ²(X̃ᵀX̃)⁻¹) exactly, X̃ = [1 X].
        // Each of the 4 estimates lies beyond 5 standard errors with probability 5.7e-7.
        // With features uniform on [−3, 3] (variance 3) the slopes' SE ≈ σ/√(3n) ≈ 0.02.
        let design = DMatrix::from_fn(n, 4, |i, j| if j == 0 { 1.0 } else { x.row(i)[j - 1] });
        let cov = (design.transpose() * &design).try_inverse().unwrap() * (sigma * sigma);
        let estimates = [fit.intercept, fit.coefficients[0], fit.coefficients[1], fit.coefficients[2]];
        let truths = [TRUE_INTERCEPT, TRUE_BETA[0], TRUE_BETA[1], TRUE_BETA[2]];
        for j in 0..4 {
            let se = cov[(j, j)].sqrt();
            assert!(se > 0.01 && se < 0.1, "SE {se} of coefficient {j} is not as reasoned above");
            let z = (estimates[j] - truths[j]) / se;
            assert!(z.abs() < 5.0, "coefficient {j}: {} vs {} is {z:.2} SE away", estimates[j], truths[j]);
        }
    }

    #[test]
    fn ridge_matches_the_closed_form_and_shrinks() {
        let (n, p) = (30, 3);
        let mut rng = StdRng::seed_from_u64(3);
        let data = features(&mut rng, n, p);
        let x = Matrix::new(&data, n, p).unwrap();
        let noise = Normal::new(0.0, 1.0).unwrap();
        let y: Vec<f64> = (0..n).map(|i| truth(x.row(i)) + noise.sample(&mut rng)).collect();

        // Without intercept: β = (XᵀX + λI)⁻¹Xᵀy, computed here through an explicit inverse.
        let xm = DMatrix::from_row_slice(n, p, &data);
        let yv = DVector::from_column_slice(&y);
        let closed = |lambda: f64| {
            let a = xm.transpose() * &xm + DMatrix::identity(p, p) * lambda;
            a.try_inverse().unwrap() * xm.transpose() * &yv
        };
        let mut norms = Vec::new();
        for lambda in [0.0, 1.0, 10.0, 100.0, 1000.0] {
            let mut m = model(&format!(r#"{{"lambda": {lambda}, "intercept": false}}"#));
            m.fit(x, &y).unwrap();
            let fit = m.fitted().unwrap();
            assert_eq!(fit.intercept, 0.0);
            let expected = closed(lambda);
            // Both solve a system with condition number ≤ cond(XᵀX) ≈ 10: agreement to ~1e-14.
            for (b, e) in fit.coefficients.iter().zip(expected.iter()) {
                assert!((b - e).abs() < 1e-9 * e.abs().max(1.0), "lambda {lambda}: {b} vs {e}");
            }
            norms.push(expected.norm());
        }
        // The ridge solution's norm decreases strictly with λ (XᵀX has positive eigenvalues).
        assert!(norms.windows(2).all(|w| w[1] < w[0]), "{norms:?}");

        // With intercept: the same closed form on centred data; β₀ is unpenalised.
        let lambda = 20.0;
        let xc = DMatrix::from_fn(n, p, |i, j| xm[(i, j)] - xm.column(j).mean());
        let yc = yv.add_scalar(-yv.mean());
        let a = xc.transpose() * &xc + DMatrix::identity(p, p) * lambda;
        let expected = a.try_inverse().unwrap() * xc.transpose() * &yc;
        let expected_b0 = yv.mean() - (0..p).map(|j| expected[j] * xm.column(j).mean()).sum::<f64>();
        let mut m = model(&format!(r#"{{"lambda": {lambda}}}"#));
        m.fit(x, &y).unwrap();
        let fit = m.fitted().unwrap();
        assert!((fit.intercept - expected_b0).abs() < 1e-9);
        for (b, e) in fit.coefficients.iter().zip(expected.iter()) {
            assert!((b - e).abs() < 1e-9);
        }
        let mut ols = model("{}");
        ols.fit(x, &y).unwrap();
        let ols_norm: f64 = ols.fitted().unwrap().coefficients.iter().map(|b| b * b).sum();
        let ridge_norm: f64 = fit.coefficients.iter().map(|b| b * b).sum();
        assert!(ridge_norm < ols_norm);
    }

    #[test]
    fn without_intercept_fits_through_the_origin() {
        let mut rng = StdRng::seed_from_u64(4);
        let data = features(&mut rng, 20, 2);
        let x = Matrix::new(&data, 20, 2).unwrap();
        let y: Vec<f64> = (0..20).map(|i| 1.5 * x.row(i)[0] - 0.25 * x.row(i)[1]).collect();
        let mut m = model(r#"{"intercept": false}"#);
        m.fit(x, &y).unwrap();
        let fit = m.fitted().unwrap();
        assert_eq!(fit.intercept, 0.0);
        assert!((fit.coefficients[0] - 1.5).abs() < 1e-12 && (fit.coefficients[1] + 0.25).abs() < 1e-12);
        // Exactly as many rows as coefficients is enough without an intercept.
        let two = Matrix::new(&data[..4], 2, 2).unwrap();
        m.fit(two, &y[..2]).unwrap();
    }

    #[test]
    fn collinear_features_give_the_minimum_norm_solution() {
        // Column 1 duplicates column 0: any split of the slope fits; the minimum-norm one halves it.
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        let data: Vec<f64> = xs.iter().flat_map(|&v| [v, v]).collect();
        let y: Vec<f64> = xs.iter().map(|v| 1.0 + 4.0 * v).collect();
        let mut m = model("{}");
        m.fit(Matrix::new(&data, 10, 2).unwrap(), &y).unwrap();
        let fit = m.fitted().unwrap();
        assert!(
            (fit.coefficients[0] - 2.0).abs() < 1e-9 && (fit.coefficients[1] - 2.0).abs() < 1e-9,
            "{fit:?}"
        );
        assert!((fit.intercept - 1.0).abs() < 1e-9);
    }

    #[test]
    fn no_features_predicts_the_mean() {
        let mut m = model("{}");
        m.fit(Matrix::new(&[], 3, 0).unwrap(), &[1.0, 2.0, 6.0]).unwrap();
        let mut out = [0.0; 2];
        m.predict(Matrix::new(&[], 2, 0).unwrap(), &mut out).unwrap();
        assert_eq!(out, [3.0, 3.0]);
    }

    #[test]
    fn errors_are_plain() {
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 7.0];
        let x = Matrix::new(&data, 3, 2).unwrap();
        let y = [1.0, 2.0, 4.0];

        let mut m = model("{}");
        let e = m.predict(x, &mut [0.0; 3]).unwrap_err();
        assert_eq!(e.status, Status::FAILED);
        assert!(e.message.contains("not fitted"), "{e}");

        m.fit(x, &y).unwrap();
        let wide = Matrix::new(&data, 2, 3).unwrap();
        let e = m.predict(wide, &mut [0.0; 2]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert!(e.message.contains("fitted on 2 feature(s) but this matrix has 3 column(s)"), "{e}");

        let nan = [1.0, 2.0, f64::NAN, 4.0, 5.0, 7.0];
        let e = m.fit(Matrix::new(&nan, 3, 2).unwrap(), &y).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(e.message, "feature 0 of row 1 is NaN; features must be finite");
        // The failed fit forgets the previous model.
        assert!(m.fitted().is_none());
        let e = m.fit(x, &[1.0, f64::INFINITY, 0.0]).unwrap_err();
        assert_eq!(e.message, "target of row 1 is inf; targets must be finite");
        m.fit(x, &y).unwrap();
        let e = m.predict(Matrix::new(&nan, 3, 2).unwrap(), &mut [0.0; 3]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);

        let two = Matrix::new(&data[..4], 2, 2).unwrap();
        let e = m.fit(two, &y[..2]).unwrap_err();
        assert_eq!(e.status, Status::INVALID_INPUT);
        assert_eq!(
            e.message,
            "ordinary least squares (lambda = 0) with 2 feature(s) and an intercept needs at least 3 rows, \
             found 2: give more rows or set lambda > 0"
        );
        // Ridge has a unique solution with any number of rows.
        model(r#"{"lambda": 0.1}"#).fit(two, &y[..2]).unwrap();
        let e = m.fit(Matrix::new(&[], 0, 2).unwrap(), &[]).unwrap_err();
        assert_eq!(e.message, "`linear` cannot be fitted to 0 rows");
    }

    #[test]
    fn far_from_origin_features_are_centred_away() {
        // x ≈ 1e6 + u: without centring, the intercept column and x are nearly collinear
        // (cond([1 x]) ≈ 1e7, and its square for the normal equations). Centring makes the slope
        // problem perfectly conditioned. Here y = 5 + 2x is exactly representable, so what is
        // left is the rounding of the means (ulp(2e6) ≈ 2.3e-10), amplified by x̄ = 1e6 in
        // β₀ = ȳ − βx̄ at worst to ≈ 1e-9 in β₀ and ≈ 1e-12 in β; 1e-6 and 1e-9 are allowed.
        let mut rng = StdRng::seed_from_u64(5);
        let data: Vec<f64> = (0..40).map(|_| 1e6 + rng.random_range(0.0..1.0)).collect();
        let y: Vec<f64> = data.iter().map(|v| 5.0 + 2.0 * v).collect();
        let mut m = model("{}");
        m.fit(Matrix::new(&data, 40, 1).unwrap(), &y).unwrap();
        let fit = m.fitted().unwrap();
        assert!((fit.coefficients[0] - 2.0).abs() < 1e-9, "{fit:?}");
        assert!((fit.intercept - 5.0).abs() < 1e-6, "{fit:?}");
    }

    #[test]
    fn bad_parameters_are_named() {
        let new = |json: &str| Linear::new(&Config::new(json), &Host::detached(0)).unwrap_err();
        let e = new(r#"{"lambda": -1}"#);
        assert_eq!(e.status, Status::INVALID_CONFIG);
        assert_eq!(e.message, "`lambda` must be finite and >= 0, found -1");
        let e = new(r#"{"lamda": 1}"#);
        assert!(e.message.contains("unknown field `lamda`"), "{e}");
        let e = new(r#"{"intercept": 1}"#);
        assert_eq!(e.status, Status::INVALID_CONFIG);
    }
}
