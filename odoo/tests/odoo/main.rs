//! Integration tests of crossdock-odoo: the client against the stand-in Odoo over
//! real HTTP (both protocols), the upsert, the error mapping, retries, and the
//! import file.

mod common;
mod errors;
mod import_file;
mod protocols;
mod retry;
mod stand_in;
mod upsert;
