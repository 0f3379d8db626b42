//! Integration tests of crossdock-api: the router over a small simulated
//! warehouse, called in-process with `tower::ServiceExt::oneshot`, and the
//! server on a real socket.

mod dashboard;
mod errors;
mod fixture;
mod health;
mod kpis;
mod serve;
