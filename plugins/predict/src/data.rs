//! Input checks shared by the models: every message names the row and column, counted from 0,
//! because a user debugging a scenario needs to find the offending observation.

use xinzhi_plugin::{Matrix, PluginError};

/// Fails on the first non-finite feature of `x`, naming its row and column.
pub(crate) fn check_features(x: &Matrix<'_>) -> Result<(), PluginError> {
    if let Some(i) = x.data().iter().position(|v| !v.is_finite()) {
        let (row, col) = (i / x.cols(), i % x.cols());
        return Err(PluginError::invalid_input(format!(
            "feature {col} of row {row} is {}; features must be finite",
            x.data()[i]
        )));
    }
    Ok(())
}

/// Fails unless `x` has the width the model was fitted with.
pub(crate) fn check_width(x: &Matrix<'_>, fitted: usize, model: &str) -> Result<(), PluginError> {
    if x.cols() != fitted {
        return Err(PluginError::invalid_input(format!(
            "`{model}` was fitted on {fitted} feature(s) but this matrix has {} column(s)",
            x.cols()
        )));
    }
    Ok(())
}

/// The error for `predict` before `fit`.
pub(crate) fn not_fitted(model: &str) -> PluginError {
    PluginError::failed(format!("`{model}` is not fitted: call fit before predict"))
}

/// Column means of `x` (zeros when `x` has no rows).
pub(crate) fn column_means(x: &Matrix<'_>) -> Vec<f64> {
    let mut means = vec![0.0; x.cols()];
    if x.rows() == 0 {
        return means;
    }
    for i in 0..x.rows() {
        for (m, v) in means.iter_mut().zip(x.row(i)) {
            *m += v;
        }
    }
    let n = x.rows() as f64;
    means.iter_mut().for_each(|m| *m /= n);
    means
}

/// Sum with Neumaier's compensation: the log-loss sums thousands of terms, and the line search
/// compares costs that differ in the last digits near the optimum.
pub(crate) fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let (mut sum, mut carry) = (0.0_f64, 0.0_f64);
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            carry += (sum - t) + v;
        } else {
            carry += (v - t) + sum;
        }
        sum = t;
    }
    sum + carry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_feature_is_located() {
        let data = [1.0, 2.0, 3.0, f64::INFINITY];
        let x = Matrix::new(&data, 2, 2).unwrap();
        let e = check_features(&x).unwrap_err();
        assert_eq!(e.message, "feature 1 of row 1 is inf; features must be finite");
    }

    #[test]
    fn compensated_sum_keeps_small_terms() {
        // 1 + 1e-16 + ... : a naive sum drops every small term.
        let values = std::iter::once(1.0).chain(std::iter::repeat_n(1e-16, 10_000));
        assert!((compensated_sum(values) - (1.0 + 1e-12)).abs() < 1e-15);
    }
}
