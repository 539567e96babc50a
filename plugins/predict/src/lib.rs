//! Built-in predictors (being written).
