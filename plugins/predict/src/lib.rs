//! # xinzhi-predict
//!
//! Xinzhi's built-in predictors, exported through the plugin ABI ([`xinzhi_plugin`]). Both take
//! a row-major feature matrix, one row per observation, and are refitted from scratch by each
//! `fit`; a failed `fit` leaves the predictor unfitted. All inputs must be finite; errors name
//! the offending row and column, counted from 0.
//!
//! ## `linear`: ridge least squares
//!
//! ŷ = β₀ + xᵀβ, with (β₀, β) minimising
//!
//! ```text
//! Σᵢ (yᵢ − β₀ − xᵢᵀβ)² + λ‖β‖²
//! ```
//!
//! `lambda = 0` (the default) is ordinary least squares and needs at least as many rows as
//! coefficients; collinear features then get the minimum-norm solution. The intercept is never
//! penalised (`intercept = false` fits through the origin). Solved by a Householder QR of the
//! centred, penalty-augmented system, falling back to the SVD when it is rank-deficient.
//! See [`Linear`].
//!
//! ## `logistic`: binary logistic regression
//!
//! P(y = 1 | x) = σ(β₀ + xᵀβ), σ(t) = 1/(1 + e⁻ᵗ), for targets 0 or 1, with (β₀, β) minimising
//! the penalised mean log-loss
//!
//! ```text
//! (1/n) Σᵢ [ log(1 + e^ηᵢ) − yᵢηᵢ ] + (λ/2)‖β‖²,   ηᵢ = β₀ + xᵢᵀβ
//! ```
//!
//! by L-BFGS with a Moré–Thuente line search (the [`argmin`] crate) on standardised features.
//! The small default λ = 1e-6 keeps the coefficients finite when the classes are separable.
//! `predict` writes probabilities in [0, 1]. See [`Logistic`].
//!
//! ## Parameters
//!
//! | predictor | parameter | meaning | default |
//! | --- | --- | --- | --- |
//! | `linear` | `lambda` | ridge penalty λ ≥ 0 | 0 |
//! | `linear` | `intercept` | fit an unpenalised β₀ | true |
//! | `logistic` | `lambda` | ridge penalty λ ≥ 0 | 1e-6 |
//! | `logistic` | `max_iters` | L-BFGS iteration limit | 200 |
//! | `logistic` | `tolerance` | gradient-norm stopping tolerance | 1e-8 |
//! | `logistic` | `intercept` | fit an unpenalised β₀ | true |
//!
//! ```
//! use xinzhi_plugin::{Component, Config, Host, Matrix, Predictor};
//! use xinzhi_predict::Linear;
//!
//! let mut model = Linear::new(&Config::new(r#"{"lambda": 0}"#), &Host::detached(0))?;
//! let x = [1.0, 2.0, 3.0];
//! model.fit(Matrix::new(&x, 3, 1)?, &[3.0, 5.0, 7.0])?; // y = 1 + 2x
//! let mut out = [0.0];
//! model.predict(Matrix::new(&[10.0], 1, 1)?, &mut out)?;
//! assert!((out[0] - 21.0).abs() < 1e-9);
//! # Ok::<(), xinzhi_plugin::PluginError>(())
//! ```

mod data;
mod linear;
mod logistic;

pub use linear::{Linear, LinearFit};
pub use logistic::{Logistic, LogisticFit};

xinzhi_plugin::export_plugins! {
    predictors: [Linear, Logistic],
}

#[cfg(test)]
mod tests {
    use xinzhi_plugin::Component;
    use xinzhi_plugin::abi::{ComponentKind, MAGIC};

    use super::*;

    #[test]
    fn library_lists_both_predictors() {
        let library = plugin_library();
        assert_eq!(library.header.magic, MAGIC);
        assert_eq!(library.header.crate_name.len, "xinzhi-predict".len());
        assert_eq!(library.n_components, 2);
        // Reading the descriptors or their text through the raw pointers would need `unsafe`
        // (denied here); the macro's array is the data they point to, and the lengths of the
        // text tie each descriptor to its component.
        let components = __XINZHI_COMPONENTS;
        assert!(!library.components.is_null());
        let expected = [
            (Linear::NAME, Linear::DESCRIPTION, Linear::PARAMETERS),
            (Logistic::NAME, Logistic::DESCRIPTION, Logistic::PARAMETERS),
        ];
        for (d, (name, description, parameters)) in components.iter().zip(expected) {
            assert_eq!(d.kind, ComponentKind::PREDICTOR);
            assert!(!d.vtable.is_null());
            assert_eq!(d.name.len, name.len());
            assert_eq!(d.description.len, description.len());
            assert_eq!(d.parameters.len, parameters.len());
            assert!(!description.is_empty());
            // One documented line per accepted parameter: `name: meaning (type, default)`.
            for line in parameters.lines() {
                let (key, rest) = line.split_once(": ").unwrap();
                assert!(!key.is_empty() && rest.ends_with(')') && rest.contains(" ("), "{line}");
            }
        }
        assert_eq!((Linear::NAME, Logistic::NAME), ("linear", "logistic"));
        assert_eq!(Linear::PARAMETERS.lines().count(), 2);
        assert_eq!(Logistic::PARAMETERS.lines().count(), 4);
    }
}
