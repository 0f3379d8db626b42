//! One module per page or group of endpoints.

pub(crate) mod admin;
pub(crate) mod dashboard;
pub(crate) mod fallback;
pub(crate) mod freshness;
pub(crate) mod health;
pub(crate) mod inbox;
pub(crate) mod kpis;
pub(crate) mod login;
pub(crate) mod planning;
