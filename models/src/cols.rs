//! Typed access to the columns of a query's result, by name, with errors
//! that name the SQL file (or table) and the column.

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, StringArray, StringViewArray, TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use crate::error::{ModelsError, Result};

/// Typed access to a result batch's columns by name.
pub(crate) struct Cols<'a> {
    batch: &'a RecordBatch,
    file: &'static str,
}

impl<'a> Cols<'a> {
    pub(crate) fn new(batch: &'a RecordBatch, file: &'static str) -> Result<Self> {
        Ok(Cols { batch, file })
    }

    pub(crate) fn col(&self, name: &str) -> Result<&'a ArrayRef> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| ModelsError::Column {
                file: self.file,
                column: name.to_string(),
                reason: "missing".into(),
            })
    }

    pub(crate) fn bad(&self, name: &str, reason: String) -> ModelsError {
        ModelsError::Column {
            file: self.file,
            column: name.to_string(),
            reason,
        }
    }

    pub(crate) fn opt_i64(&self, name: &str, r: usize) -> Result<Option<i64>> {
        let a = self.col(name)?;
        if a.is_null(r) {
            return Ok(None);
        }
        if let Some(v) = a.as_any().downcast_ref::<Int64Array>() {
            return Ok(Some(v.value(r)));
        }
        if let Some(v) = a.as_any().downcast_ref::<Int32Array>() {
            return Ok(Some(v.value(r) as i64));
        }
        Err(self.bad(
            name,
            format!("expected an integer, found {}", a.data_type()),
        ))
    }

    pub(crate) fn i64(&self, name: &str, r: usize) -> Result<i64> {
        self.opt_i64(name, r)?
            .ok_or_else(|| self.bad(name, format!("null in row {r}")))
    }

    pub(crate) fn f64(&self, name: &str, r: usize) -> Result<Option<f64>> {
        let a = self.col(name)?;
        if a.is_null(r) {
            return Ok(None);
        }
        if let Some(v) = a.as_any().downcast_ref::<Float64Array>() {
            return Ok(Some(v.value(r)));
        }
        match self.decimal(name, r)? {
            Some(d) => d
                .to_f64()
                .map(Some)
                .ok_or_else(|| self.bad(name, format!("{d} is not a finite number"))),
            None => Ok(None),
        }
    }

    pub(crate) fn decimal(&self, name: &str, r: usize) -> Result<Option<Decimal>> {
        let a = self.col(name)?;
        if a.is_null(r) {
            return Ok(None);
        }
        if let Some(v) = a.as_any().downcast_ref::<Decimal128Array>() {
            let scale = v.scale() as u32;
            return Decimal::try_from_i128_with_scale(v.value(r), scale)
                .map(Some)
                .map_err(|e| self.bad(name, format!("row {r}: {e}")));
        }
        if let Some(v) = a.as_any().downcast_ref::<Float64Array>() {
            return Decimal::from_f64(v.value(r))
                .map(Some)
                .ok_or_else(|| self.bad(name, format!("row {r}: {} is not finite", v.value(r))));
        }
        Err(self.bad(name, format!("expected a decimal, found {}", a.data_type())))
    }

    pub(crate) fn bool(&self, name: &str, r: usize) -> Result<bool> {
        let a = self.col(name)?;
        if a.is_null(r) {
            return Ok(false);
        }
        a.as_any()
            .downcast_ref::<BooleanArray>()
            .map(|v| v.value(r))
            .ok_or_else(|| self.bad(name, format!("expected a boolean, found {}", a.data_type())))
    }

    pub(crate) fn date(&self, name: &str, r: usize) -> Result<NaiveDate> {
        let a = self.col(name)?;
        let v = a
            .as_any()
            .downcast_ref::<Date32Array>()
            .ok_or_else(|| self.bad(name, format!("expected a date, found {}", a.data_type())))?;
        if v.is_null(r) {
            return Err(self.bad(name, format!("null in row {r}")));
        }
        v.value_as_date(r)
            .ok_or_else(|| self.bad(name, format!("row {r}: out of range")))
    }

    pub(crate) fn string(&self, name: &str, r: usize) -> Result<Option<String>> {
        let a = self.col(name)?;
        if a.is_null(r) {
            return Ok(None);
        }
        if let Some(v) = a.as_any().downcast_ref::<StringArray>() {
            return Ok(Some(v.value(r).to_string()));
        }
        if let Some(v) = a.as_any().downcast_ref::<StringViewArray>() {
            return Ok(Some(v.value(r).to_string()));
        }
        Err(self.bad(name, format!("expected text, found {}", a.data_type())))
    }

    pub(crate) fn timestamp(&self, name: &str, r: usize) -> Result<Option<DateTime<Utc>>> {
        let a = self.col(name)?;
        if a.is_null(r) {
            return Ok(None);
        }
        let v = a
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| {
                self.bad(
                    name,
                    format!("expected a timestamp, found {}", a.data_type()),
                )
            })?;
        DateTime::from_timestamp_micros(v.value(r))
            .map(Some)
            .ok_or_else(|| self.bad(name, format!("row {r}: out of range")))
    }
}
