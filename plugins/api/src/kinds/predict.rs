//! The predict kind ([`ComponentKind::PREDICTOR`], code 2): a [`Predictor`] fits a model to
//! observations and predicts.
//!
//! Everything of the kind is here: its `#[repr(C)]` matrix and vtable, the safe trait and
//! matrix view, and the glue thunks. The `export_plugins!` section is `predictors`.

use std::ffi::c_void;

use super::KindSpec;
use crate::abi::{ComponentDescriptor, ComponentKind, CreateFn, DestroyFn, ErrorOut, SliceRef, Status};
use crate::glue::{create, descriptor, destroy, with_instance};
use crate::traits::{Component, PluginError};

impl ComponentKind {
    /// A [`Predictor`]; its vtable is a [`PredictorVTable`].
    pub const PREDICTOR: ComponentKind = ComponentKind(2);
}

/// The predict kind, for the tables of kinds.
pub const SPEC: KindSpec = KindSpec {
    kind: ComponentKind::PREDICTOR,
    name: "predictor",
    section: "predictors",
    summary: "fits and predicts on a row-major matrix",
};

/// A row-major matrix of `rows × cols` values: one row per observation.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MatrixRef {
    /// `rows * cols` values, row after row; may be null when empty.
    pub data: *const f64,
    /// Number of rows (observations).
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
}

/// Functions of a predictor.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PredictorVTable {
    /// `size_of::<PredictorVTable>()` as the plugin compiled it.
    pub struct_size: usize,
    /// See [`CreateFn`].
    pub create: CreateFn,
    /// See [`DestroyFn`].
    pub destroy: DestroyFn,
    /// Fits the model to `x` (rows = observations) and targets `y` (`y.len == x.rows`).
    pub fit: unsafe extern "C" fn(
        instance: *mut c_void,
        x: MatrixRef,
        y: SliceRef<f64>,
        err: *mut ErrorOut,
    ) -> Status,
    /// Writes one prediction per row of `x` to `out[..out_len]` (`out_len == x.rows`).
    pub predict: unsafe extern "C" fn(
        instance: *mut c_void,
        x: MatrixRef,
        out: *mut f64,
        out_len: usize,
        err: *mut ErrorOut,
    ) -> Status,
}

/// A row-major matrix view: one row per observation.
#[derive(Clone, Copy, Debug)]
pub struct Matrix<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
}

impl<'a> Matrix<'a> {
    /// A view of `data` as `rows × cols`.
    ///
    /// # Errors
    /// [`Status::INVALID_INPUT`] if `data.len() != rows * cols`.
    pub fn new(data: &'a [f64], rows: usize, cols: usize) -> Result<Self, PluginError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(PluginError::invalid_input(format!(
                "matrix of {rows} × {cols} given {} values",
                data.len()
            )));
        }
        Ok(Matrix { data, rows, cols })
    }

    /// Number of rows (observations).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (features).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row after row.
    pub fn data(&self) -> &'a [f64] {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Learns from observations and predicts.
pub trait Predictor: Component {
    /// Fits to `x` (one row per observation) and targets `y` (`y.len() == x.rows()`, checked by
    /// the glue).
    ///
    /// # Errors
    /// Inputs the model cannot use (too few rows, wrong width, non-finite values...).
    fn fit(&mut self, x: Matrix<'_>, y: &[f64]) -> Result<(), PluginError>;

    /// Writes one prediction per row of `x` into `out` (`out.len() == x.rows()`); predictions
    /// must be finite (the host checks).
    ///
    /// # Errors
    /// If not fitted, or `x` has the wrong width.
    fn predict(&mut self, x: Matrix<'_>, out: &mut [f64]) -> Result<(), PluginError>;
}

/// # Safety
/// `x` describes `rows * cols` readable values (or is empty).
unsafe fn matrix<'a>(x: MatrixRef) -> Result<Matrix<'a>, PluginError> {
    let Some(len) = x.rows.checked_mul(x.cols) else {
        return Err(PluginError::invalid_input("matrix size overflows"));
    };
    let data: &[f64] = if len == 0 {
        &[]
    } else if x.data.is_null() {
        return Err(PluginError::invalid_input("null matrix data"));
    } else {
        // SAFETY: non-null and `len` values long, by the caller's promise.
        unsafe { std::slice::from_raw_parts(x.data, len) }
    };
    Matrix::new(data, x.rows, x.cols)
}

/// # Safety
/// As documented on [`PredictorVTable::fit`].
unsafe extern "C" fn fit<T: Predictor>(
    inst: *mut c_void,
    x: MatrixRef,
    y: SliceRef<f64>,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        with_instance::<T>(inst, err, "fit", |t| {
            let x = matrix(x)?;
            let y = y.as_slice();
            if y.len() != x.rows() {
                return Err(PluginError::invalid_input(format!("{} targets for {} rows", y.len(), x.rows())));
            }
            t.fit(x, y)
        })
    }
}

/// # Safety
/// As documented on [`PredictorVTable::predict`].
unsafe extern "C" fn predict<T: Predictor>(
    inst: *mut c_void,
    x: MatrixRef,
    out: *mut f64,
    out_len: usize,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: forwarded.
    unsafe {
        with_instance::<T>(inst, err, "predict", |t| {
            let x = matrix(x)?;
            if out_len != x.rows() {
                return Err(PluginError::invalid_input(format!("{out_len} outputs for {} rows", x.rows())));
            }
            let out: &mut [f64] = if out_len == 0 {
                &mut []
            } else if out.is_null() {
                return Err(PluginError::invalid_input("null output buffer"));
            } else {
                // SAFETY: the host's buffer holds `out_len` values, exclusively ours for the call.
                std::slice::from_raw_parts_mut(out, out_len)
            };
            t.predict(x, out)
        })
    }
}

/// The vtable of a predictor type.
pub trait PredictorGlue {
    /// The vtable.
    const VTABLE: PredictorVTable;
}

impl<T: Predictor> PredictorGlue for T {
    const VTABLE: PredictorVTable = PredictorVTable {
        struct_size: size_of::<PredictorVTable>(),
        create: create::<T>,
        destroy: destroy::<T>,
        fit: fit::<T>,
        predict: predict::<T>,
    };
}

/// The descriptor of predictor `T`: the `predictors` section of [`crate::export_plugins!`].
pub const fn predictors<T: Predictor>() -> ComponentDescriptor {
    descriptor::<T>(
        ComponentKind::PREDICTOR,
        (&<T as PredictorGlue>::VTABLE as *const PredictorVTable).cast(),
    )
}
