//! The `crossdock` command: wires the crates together.
//!
//! | command    | what it does                                   | code                   |
//! |------------|------------------------------------------------|------------------------|
//! | `demo`     | simulate, build the warehouse, print KPIs, serve | `commands/demo.rs`   |
//! | `simulate` | run the simulator into the warehouse           | `commands/simulate.rs` |
//! | `kpi`      | print KPIs as a table, JSON or CSV             | `commands/kpi.rs`      |
//! | `serve`    | serve the API and dashboard                    | `commands/serve.rs`    |
//! | `ingest`   | capture changes from Odoo's PostgreSQL          | `commands/ingest.rs`   |
//! | `verify`   | compare PostgreSQL's tables with the warehouse  | `commands/verify.rs`   |
//! | `user`     | users, roles, companies and API tokens          | `commands/user.rs`     |
//! | `forecast` | backtest the demand forecasting methods         | `commands/forecast.rs` |
//! | `reorder`  | reorder-rule suggestions and the what-if         | `commands/reorder.rs`  |
//! | `triage`   | e-mail triage: train, eval, classify             | `commands/triage.rs`   |
//! | `match`    | catalog matching: train and eval the pair scorer | `commands/match_.rs`   |

// The doc comments of the argument structs are clap's --help text, written
// for people at a terminal (`<data>`, `<id>`), not rustdoc HTML.
#![allow(rustdoc::invalid_html_tags)]

mod commands;
mod output;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// crossdock — analytics and AI-assisted operations for distributors that run Odoo.
///
/// crossdock captures every change to Odoo's database into open Delta Lake
/// tables and turns them into KPIs (fill rate, OTIF, cycle time, margin
/// leakage, ...). Start with `crossdock demo`.
#[derive(Parser, Debug)]
#[command(name = "crossdock", version, about, long_about)]
struct Cli {
    /// Warehouse root: a directory (created when missing) or a file:// URL.
    #[arg(
        long,
        global = true,
        env = "CROSSDOCK_DATA",
        default_value = "./crossdock-data"
    )]
    data: String,

    /// Log more (-v: debug, -vv: trace). Logs go to stderr, in colour only
    /// on a terminal and without NO_COLOR; RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Simulate a distributor into the warehouse, print KPIs by channel, then
    /// serve the dashboard on http://127.0.0.1:8080 until Ctrl-C.
    Demo(DemoArgs),
    /// Run the built-in Odoo simulator into the warehouse (resumes where the
    /// warehouse left off).
    Simulate(SimulateArgs),
    /// Print KPIs from the warehouse.
    Kpi(KpiArgs),
    /// Serve the JSON API and the dashboard.
    Serve(ServeArgs),
    /// Capture every change to Odoo's PostgreSQL into the warehouse: a
    /// consistent snapshot, then the logical replication stream, until
    /// Ctrl-C / SIGTERM (resumes exactly where it stopped).
    Ingest(IngestArgs),
    /// Compare every tracked table in PostgreSQL with the warehouse (row
    /// counts and a hash per row); exits non-zero when they differ.
    Verify(VerifyArgs),
    /// Manage who may use the server: users (roles, companies, passwords)
    /// and API tokens, stored in <data>/_crossdock/access.sqlite3. Every
    /// change is written to the audit trail.
    User(UserArgs),
    /// Demand forecasting: `forecast backtest` scores every method and
    /// crossdock's per-series choice on a CSV of demand histories.
    Forecast(ForecastArgs),
    /// Reorder rules: `reorder suggest` computes min/max suggestions for
    /// every product × warehouse from the warehouse's demand, lead times and
    /// stock; `reorder whatif` replays the simulator under the current and
    /// the suggested rules.
    Reorder(ReorderArgs),
    /// Customer e-mail triage: `triage train` fits the linear classifier on
    /// a labelled CSV, `triage eval` scores it, `triage classify` routes
    /// .eml / mbox files into queues and categories with their references.
    Triage(TriageArgs),
    /// Supplier catalog matching: `match train` fits the pair scorer on
    /// labelled pairs (the ER-Magellan format) and chooses its thresholds,
    /// `match eval` measures precision, recall and F1.
    Match(MatchArgs),
}

#[derive(Args, Debug)]
struct MatchArgs {
    #[command(subcommand)]
    command: MatchCommand,
}

/// Learners `match train` can use.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum MatchScorer {
    /// Gradient-boosted trees and logistic regression; the better one kept.
    Auto,
    /// Gradient-boosted trees.
    Gbt,
    /// Logistic regression.
    Logistic,
}

/// Where `match train` chooses its thresholds.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum MatchThresholds {
    /// On the --valid pairs.
    Valid,
    /// By cross-validation on the training pairs (--valid is then only measured).
    Cv,
}

#[derive(Subcommand, Debug)]
enum MatchCommand {
    /// Train the pair scorer on labelled pairs: one pair per line, left
    /// record, right record, 0/1 label, tab-separated; records as
    /// `COL <attribute> VAL <value>` groups. Features (token, TF-IDF,
    /// character, numbers and units, model numbers, brand, price), a learned
    /// scorer calibrated out of fold, and thresholds (sure / review / no
    /// match) chosen on --valid or by cross-validation.
    #[command(
        after_help = "Examples:\n  crossdock match train --pairs Abt-Buy/train.txt --valid Abt-Buy/valid.txt --out ./abt-model\n  crossdock match train --pairs train.txt --valid valid.txt --thresholds cv --out ./m --json"
    )]
    Train {
        /// The labelled training pairs.
        #[arg(long)]
        pairs: PathBuf,
        /// Labelled validation pairs: chooses the thresholds (and the learner)
        /// unless --thresholds cv; measured either way.
        #[arg(long)]
        valid: Option<PathBuf>,
        /// The model folder to write.
        #[arg(long)]
        out: PathBuf,
        /// The learner.
        #[arg(long, value_enum, default_value_t = MatchScorer::Auto)]
        scorer: MatchScorer,
        /// Where the thresholds are chosen (default: valid when --valid is given, else cv).
        #[arg(long, value_enum)]
        thresholds: Option<MatchThresholds>,
        /// The precision the sure band must reach.
        #[arg(long, default_value_t = 0.97)]
        sure_precision: f64,
        /// The share of matches kept above the "no match" threshold.
        #[arg(long, default_value_t = 0.98)]
        keep_recall: f64,
        /// Trees of the gradient boosting.
        #[arg(long, default_value_t = 300)]
        rounds: usize,
        /// Depth of each tree.
        #[arg(long, default_value_t = 4)]
        depth: usize,
        /// Seed of the folds and the tree sampling.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Measure a model on labelled pairs: precision, recall and F1 at the
    /// model's decision threshold, the best F1 over all thresholds, and how
    /// many pairs fall in the sure / review / no-match bands.
    #[command(
        after_help = "Example:\n  crossdock match eval --model ./abt-model --pairs Abt-Buy/valid.txt --json"
    )]
    Eval {
        /// The model folder.
        #[arg(long)]
        model: PathBuf,
        /// The labelled pairs.
        #[arg(long)]
        pairs: PathBuf,
        /// Print one JSON object (precision, recall, f1, best_f1, ...).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
struct TriageArgs {
    #[command(subcommand)]
    command: TriageCommand,
}

#[derive(Subcommand, Debug)]
enum TriageCommand {
    /// Split a labelled CSV into a training and a held-out file, stratified
    /// on the label column (every column kept), with a fixed seed.
    #[command(
        after_help = "Example:\n  crossdock triage split --input bitext-dev.csv --label-column intent --train-out train.csv --test-out test.csv"
    )]
    Split {
        /// The labelled CSV.
        #[arg(long)]
        input: PathBuf,
        /// The column to stratify on.
        #[arg(long)]
        label_column: String,
        /// Share of each label held out.
        #[arg(long, default_value_t = 0.2)]
        test_share: f64,
        /// Seed of the split.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Where the training rows go.
        #[arg(long)]
        train_out: PathBuf,
        /// Where the held-out rows go.
        #[arg(long)]
        test_out: PathBuf,
    },
    /// Train the linear classifier (word and character n-gram TF-IDF, a
    /// multinomial logistic regression, temperature-scaled on a held-out
    /// share of the rows) and write it to a folder. Labels map to queues
    /// and categories: crossdock's category names, `queue:category`, queue
    /// names and Bitext's intents are known; --label-map gives others.
    #[command(
        after_help = "Examples:\n  crossdock triage train --input bitext-dev.csv --text-column instruction --label-column intent --out ./triage-model\n  crossdock triage train --input inbox.csv --text-column body --label-column category --out ./m --label-map routes.csv\n  crossdock triage train --inbox ./crossdock-data/_crossdock/triage-train --with-corrections --data ./crossdock-data --out ./crossdock-data/_crossdock/triage-model"
    )]
    Train {
        /// The labelled CSV (with a header).
        #[arg(long, required_unless_present_any = ["inbox", "with_corrections"])]
        input: Option<PathBuf>,
        /// The column holding the message (with --input).
        #[arg(long, requires = "input")]
        text_column: Option<String>,
        /// The column holding the label (with --input).
        #[arg(long, requires = "input")]
        label_column: Option<String>,
        /// A labelled inbox instead of (or besides) a CSV: a folder of .eml
        /// files with truth.jsonl (`file`, `queue`, `category`), e.g. the
        /// demo's <data>/_crossdock/triage-train.
        #[arg(long)]
        inbox: Option<PathBuf>,
        /// Add the corrections people made (derived/triage_correction of
        /// the warehouse at --data), each message labelled as corrected.
        #[arg(long)]
        with_corrections: bool,
        /// The model folder (created; model.json and weights.bin).
        #[arg(long)]
        out: PathBuf,
        /// A CSV `label,queue,category` routing labels the built-in rules do not know.
        #[arg(long)]
        label_map: Option<PathBuf>,
        /// Share of each label held out to calibrate the confidence and choose the threshold.
        #[arg(long, default_value_t = 0.15)]
        calibration_share: f64,
        /// Share of automatically routed messages that must be right (on the
        /// calibration rows); sets the review threshold.
        #[arg(long, default_value_t = 0.98)]
        target_precision: f64,
        /// Passes of the optimiser over the rows.
        #[arg(long, default_value_t = 30)]
        epochs: usize,
        /// Seed (row order, calibration split).
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Print one JSON object instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Score a model on a labelled CSV: accuracy, macro-F1, per-label
    /// precision and recall, the most frequent confusions, calibration
    /// (ECE), the share routed automatically; and, when the CSV has
    /// entity_type / entity_value columns, precision, recall and F1 of the
    /// extracted references.
    #[command(
        after_help = "Example:\n  crossdock triage eval --model ./triage-model --input test.csv --text-column instruction --label-column intent --json\n  crossdock triage eval --model ./crossdock-data/_crossdock/triage-model --inbox ./crossdock-data/_crossdock/inbox --data ./crossdock-data"
    )]
    Eval {
        /// The model folder.
        #[arg(long)]
        model: PathBuf,
        /// The labelled CSV.
        #[arg(long, required_unless_present = "inbox", conflicts_with = "inbox")]
        input: Option<PathBuf>,
        /// The column holding the message (with --input).
        #[arg(long, requires = "input")]
        text_column: Option<String>,
        /// The column holding the label (with --input).
        #[arg(long, requires = "input")]
        label_column: Option<String>,
        /// A labelled inbox (.eml files and truth.jsonl) instead: classified
        /// as `classify` does (references and senders checked in the
        /// warehouse at --data when there is one), then scored: the share
        /// routed automatically, the share of those right (queue and
        /// category), the references' precision and recall.
        #[arg(long)]
        inbox: Option<PathBuf>,
        /// Print one JSON object (accuracy, macro_f1, reference_f1, ...).
        #[arg(long)]
        json: bool,
    },
    /// Classify e-mail: .eml files, mbox files or folders of them. Prints
    /// queue, category, calibrated confidence (below the model's threshold:
    /// to review) and the references (each checked against the warehouse at
    /// --data when there is one). A message that cannot be read is listed
    /// with the reason.
    #[command(
        after_help = "Examples:\n  crossdock triage classify inbox/ --model ./triage-model\n  crossdock triage classify message.eml mail.mbox --json\n  (after `crossdock demo`, the default model is <data>/_crossdock/triage-model)"
    )]
    Classify {
        /// Files or folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The model folder (default: <data>/_crossdock/triage-model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Review threshold instead of the model's.
        #[arg(long)]
        threshold: Option<f64>,
        /// One JSON object per line per message.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
struct ReorderArgs {
    #[command(subcommand)]
    command: ReorderCommand,
}

#[derive(Subcommand, Debug)]
enum ReorderCommand {
    /// Compute reorder-rule suggestions (min, max, multiple per product ×
    /// warehouse, with the reason for each) from the warehouse, write them
    /// to <data>/derived/reorder_suggestion (and the weekly history and
    /// forecast to derived/demand_forecast), and print the largest changes.
    /// Service levels, review period and costs: the `planning` settings
    /// (<data>/_crossdock/settings.json).
    #[command(
        after_help = "Example:\n  crossdock reorder suggest --data ./crossdock-data --top 20"
    )]
    Suggest {
        /// Print this many suggestions, exceptions and largest changes first (0: none).
        #[arg(long, default_value_t = 15)]
        top: usize,
        /// Print every suggestion as one JSON array instead.
        #[arg(long)]
        json: bool,
    },
    /// Replay the simulator's next --days days twice from the same seed and
    /// state — under the rules in force and under the latest suggestions
    /// (`reorder suggest`) — and print fill rate, stock-outs, average stock
    /// value and purchases side by side. Needs a warehouse filled by the
    /// simulator (`crossdock demo` / `simulate`).
    #[command(
        after_help = "Example:\n  crossdock demo --no-serve && crossdock reorder suggest && crossdock reorder whatif --days 28"
    )]
    Whatif {
        /// Days to replay after the end of the warehouse's history.
        #[arg(long, default_value_t = 28)]
        days: u32,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print the rules planners accepted (on the Planning page or through
    /// the API) and did not reject since, as the CSV Odoo's Import dialog
    /// reads for stock.warehouse.orderpoint (Inventory → Configuration →
    /// Reordering Rules → Import records); the same file as
    /// GET /api/planning/orderpoints.csv.
    #[command(
        after_help = "Example:\n  crossdock reorder export --data ./crossdock-data > stock.warehouse.orderpoint.csv"
    )]
    Export,
}

#[derive(Args, Debug)]
struct ForecastArgs {
    #[command(subcommand)]
    command: ForecastCommand,
}

#[derive(Subcommand, Debug)]
enum ForecastCommand {
    /// Hold out the last --horizon periods of each series, fit every method
    /// (and crossdock's per-series choice, `auto`) on the rest, forecast the
    /// held-out periods and report MASE, RMSSE, bias and the share of series
    /// each method won, per demand class and overall. See docs/forecasting.md.
    #[command(
        after_help = "Examples:\n  crossdock forecast backtest --input carparts.csv --horizon 6\n  crossdock forecast backtest --input demand.csv --format long --horizon 4 --season 52 --json"
    )]
    Backtest(BacktestArgs),
}

#[derive(Args, Debug)]
struct BacktestArgs {
    /// The demand histories (CSV).
    #[arg(long)]
    input: PathBuf,
    /// wide: a header, then one row per series (id, then one column per
    /// period; blank = no observation). long: id,period,value rows.
    #[arg(long, value_enum, default_value_t = InputFormat::Wide)]
    format: InputFormat,
    /// Periods held out and forecast (at least 1).
    #[arg(long)]
    horizon: usize,
    /// Season length in periods (12 for months, 52 for weeks, 1 for none).
    #[arg(long, default_value_t = 12)]
    season: usize,
    /// Read a blank between two observations as zero demand (by default it
    /// is an error naming the cell).
    #[arg(long)]
    blank_is_zero: bool,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    json: bool,
}

/// Layouts of `crossdock forecast backtest --input`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum InputFormat {
    /// First column the series id, one column per period.
    Wide,
    /// Three columns: id, period, value.
    Long,
}

#[derive(Args, Debug)]
struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user. Without --password-stdin a password is generated and
    /// printed once (on stdout).
    ///
    /// Roles: executive (every KPI, margins included), planner and service
    /// (service levels only), procurement (service levels and costs), admin
    /// (everything, every company, users and the audit trail).
    #[command(
        after_help = "Examples:\n  crossdock user add ana --role planner --company 1\n  printf '%s\\n' \"$PW\" | crossdock user add bo --role executive,procurement --company 1,2 --password-stdin"
    )]
    Add {
        /// Login name: letters, digits, '.', '_', '-', '@' (at most 64).
        name: String,
        /// One or more roles, comma-separated: executive, planner, service, procurement, admin.
        #[arg(long)]
        role: String,
        /// Companies the user sees (res_company ids, comma-separated, e.g. 1,2);
        /// required except for admins, who see every company. Each must be a
        /// company of the warehouse.
        #[arg(long)]
        company: Option<String>,
        /// Accept company ids the warehouse does not know (yet), e.g. before
        /// the first ingest.
        #[arg(long)]
        allow_unknown_company: bool,
        /// Read the password (at least 10 characters) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users.
    List,
    /// Disable a user: they can no longer log in, their sessions and tokens stop working.
    Disable {
        /// The user's name (any case).
        name: String,
    },
    /// Enable a disabled user again: they can log in, and their tokens that
    /// are neither expired nor revoked work again.
    Enable {
        /// The user's name (any case).
        name: String,
    },
    /// Clear a user's failed logins, so the login throttle lets them in
    /// again at once (also on a running server).
    Unlock {
        /// The user's name (any case).
        name: String,
    },
    /// Set a new password for a user: generated and printed once (on
    /// stdout), or read with --password-stdin. Also clears their failed
    /// logins.
    ResetPassword {
        /// The user's name (any case).
        name: String,
        /// Read the password (at least 10 characters) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's roles, and their companies when --company is given.
    #[command(
        after_help = "Example:\n  crossdock user set-roles ana --role planner,service --company 1,2"
    )]
    SetRoles {
        /// The user's name (any case).
        name: String,
        /// One or more roles, comma-separated: executive, planner, service, procurement, admin.
        #[arg(long)]
        role: String,
        /// Companies the user sees (res_company ids, comma-separated);
        /// unchanged when not given.
        #[arg(long)]
        company: Option<String>,
        /// Accept company ids the warehouse does not know (yet).
        #[arg(long)]
        allow_unknown_company: bool,
    },
    /// Issue an API token for a user and print it once (on stdout); send it
    /// as `Authorization: Bearer <token>`. Only its hash is stored.
    Token {
        /// The user's name.
        name: String,
        /// Days until the token expires (1 to 366).
        #[arg(long, default_value_t = 90)]
        expires_days: i64,
        /// What the token is for (shown in `user tokens`).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List API tokens (ids, expiry, revocation; never the secrets).
    Tokens {
        /// Only this user's tokens.
        name: Option<String>,
    },
    /// Revoke an API token by its id (the <id> of cdk_<id>_...).
    RevokeToken {
        /// The token's id.
        id: String,
    },
}

#[derive(Args, Debug)]
struct IngestArgs {
    /// Odoo's database: postgresql://user:password@host:5432/dbname (or libpq key=value pairs).
    #[arg(long, env = "CROSSDOCK_POSTGRES")]
    postgres: String,
    /// Logical replication slot (created when missing).
    #[arg(long, default_value = "crossdock")]
    slot: String,
    /// Publication (created when missing, with the tracked tables).
    #[arg(long, default_value = "crossdock")]
    publication: String,
    /// Tables to track (comma-separated; default: every table crossdock knows).
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// Row changes per warehouse commit, at most.
    #[arg(long, default_value_t = 100_000)]
    batch_changes: usize,
    /// Longest time a received change waits before it is committed, in milliseconds.
    #[arg(long, default_value_t = 500)]
    max_delay_ms: u64,
    /// Rows per snapshot chunk.
    #[arg(long, default_value_t = 10_000)]
    chunk_rows: usize,
    /// Seconds between status lines (0: none).
    #[arg(long, default_value_t = 10.0)]
    status_every: f64,
    /// Stop after this many seconds without a change once caught up (for scripts and benchmarks).
    #[arg(long)]
    exit_when_idle: Option<f64>,
    /// Copy every tracked table again from a new slot, truncating each
    /// Delta table first (nothing deleted meanwhile survives). The resync
    /// after the replication slot was dropped or invalidated, which
    /// ingest otherwise refuses to paper over.
    #[arg(long)]
    resnapshot: bool,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// Odoo's database: postgresql://user:password@host:5432/dbname.
    #[arg(long, env = "CROSSDOCK_POSTGRES")]
    postgres: String,
    /// Tables to compare (comma-separated; default: every table crossdock knows).
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// Keys listed per table and kind of difference.
    #[arg(long, default_value_t = 5)]
    max_listed: usize,
    /// Keep comparing until the tables are equal or this many seconds passed
    /// (while ingest catches up).
    #[arg(long, default_value_t = 0.0)]
    wait: f64,
}

/// What the simulator simulates.
#[derive(Args, Debug, Clone)]
struct SimulationArgs {
    /// Seed: the same seed gives the same company, orders and changes.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Days of business to simulate.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Quotations created per day, on average, across channels.
    #[arg(long, default_value_t = 200)]
    orders_per_day: u32,
    /// Products in the catalog.
    #[arg(long, default_value_t = 600)]
    products: u32,
    /// Warehouses.
    #[arg(long, default_value_t = 2)]
    warehouses: u32,
    /// Add a second company with its own warehouse, customers and orders.
    #[arg(long)]
    second_company: bool,
    /// Row changes per warehouse commit (larger: faster bulk loads; smaller:
    /// fresher data while it runs).
    #[arg(long, default_value_t = 250_000)]
    batch_changes: usize,
}

#[derive(Args, Debug)]
struct DemoArgs {
    #[command(flatten)]
    sim: SimulationArgs,
    /// Stop after printing the KPIs instead of serving the dashboard.
    #[arg(long)]
    no_serve: bool,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Delete an existing warehouse at --data first (only if it is a crossdock warehouse).
    #[arg(long)]
    fresh: bool,
}

#[derive(Args, Debug)]
struct SimulateArgs {
    #[command(flatten)]
    sim: SimulationArgs,
    /// Pace the simulation: simulated seconds per real second (e.g. 3600 runs
    /// an hour of business each second). 0 runs flat out.
    #[arg(long, default_value_t = 0.0)]
    speed: f64,
    /// Write to this PostgreSQL database (the tracked Odoo tables, created
    /// when missing) instead of the warehouse, one SQL transaction per
    /// business operation; `crossdock ingest` then captures it.
    #[arg(long, env = "CROSSDOCK_POSTGRES")]
    postgres: Option<String>,
    /// With --postgres: business operations (SQL transactions) per second; 0 runs flat out.
    #[arg(long, default_value_t = 0.0, requires = "postgres")]
    rate: f64,
}

#[derive(Args, Debug)]
struct KpiArgs {
    /// Group by one or more of: channel, week, month, company, warehouse (comma-separated).
    #[arg(long, default_value = "channel")]
    by: String,
    /// First day of order confirmation included (YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Last day of order confirmation included (YYYY-MM-DD, UTC).
    #[arg(long)]
    to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Mark the session cookie Secure: use it when crossdock is reached
    /// through https (a TLS-terminating proxy). See docs/security.md.
    #[arg(long, env = "CROSSDOCK_SECURE_COOKIE")]
    secure_cookie: bool,
}

/// Output formats of `crossdock kpi`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// An aligned table for people.
    Table,
    /// The full report as JSON (money as exact decimal strings).
    Json,
    /// One line per group, with a header.
    Csv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        // the Delta kernel logs an ERROR for every table that does not exist
        // yet, which is expected here: keep it out of the user's way
        0 => "warn,crossdock=info,buoyant_kernel=off,deltalake_core=error",
        1 => "info,crossdock=debug,buoyant_kernel=warn",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour_logs())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => commands::demo::run(&cli.data, args).await,
            Command::Simulate(args) => commands::simulate::run(&cli.data, args).await,
            Command::Kpi(args) => commands::kpi::run(&cli.data, args).await,
            Command::Serve(args) => commands::serve::run(&cli.data, args).await,
            Command::Ingest(args) => commands::ingest::run(&cli.data, args).await,
            Command::Verify(args) => commands::verify::run(&cli.data, args).await,
            Command::User(args) => commands::user::run(&cli.data, args).await,
            Command::Forecast(args) => commands::forecast::run(args),
            Command::Reorder(args) => commands::reorder::run(&cli.data, args).await,
            Command::Triage(args) => commands::triage::run(&cli.data, args).await,
            Command::Match(args) => commands::match_::run(args),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Colour log lines only when they go to a terminal, and not when
/// `NO_COLOR` is set to anything but the empty string (<https://no-color.org>).
fn colour_logs() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stderr().is_terminal()
}

/// Errors of the command line: each says what failed and, where it can, what to do.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// From the warehouse (boxed: the error is large).
    #[error(transparent)]
    Warehouse(Box<crossdock_warehouse::WarehouseError>),
    /// From a change source or the CDC pipeline.
    #[error(transparent)]
    Ingest(#[from] crossdock_ingest::IngestError),
    /// A change or table definition that does not fit the catalog.
    #[error(transparent)]
    Change(#[from] crossdock_change::ChangeError),
    /// From the simulator.
    #[error(transparent)]
    Simulator(#[from] crossdock_simulator::SimulatorError),
    /// From the access store (users, tokens).
    #[error(transparent)]
    Access(#[from] crossdock_access::AccessError),
    /// From the forecasting models.
    #[error(transparent)]
    Forecast(#[from] crossdock_models::forecast::Error),
    /// From a planning run.
    #[error(transparent)]
    Planning(#[from] crossdock_models::error::ModelsError),
    /// From e-mail triage.
    #[error(transparent)]
    Triage(#[from] crossdock_models::triage::TriageError),
    /// From catalog matching.
    #[error(transparent)]
    Match(#[from] crossdock_models::matching::MatchError),
    /// From the server.
    #[error("server: {0}")]
    Api(String),
    /// Bad usage.
    #[error("{0}")]
    Usage(String),
    /// Local I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl From<crossdock_warehouse::WarehouseError> for CliError {
    fn from(e: crossdock_warehouse::WarehouseError) -> Self {
        CliError::Warehouse(Box::new(e))
    }
}

/// `Result` with [`CliError`].
pub type Result<T, E = CliError> = std::result::Result<T, E>;
