//! Integration tests of crossdock-api: the router over small simulated
//! warehouses (one company, two companies), called in-process with
//! `tower::ServiceExt::oneshot` as users of every role, and the server on a
//! real socket.

mod access;
mod admin;
mod companies;
mod dashboard;
mod errors;
mod fixture;
mod health;
mod inbox;
mod kpis;
mod login;
mod pages;
mod planning;
mod serve;
