//! pingshen command line: parses arguments and dispatches to `commands`. No logic here.

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use pingshen::assets::Reference;
use pingshen::commands::{self, access, Lang};
use pingshen::domain::validate::ValidateOptions;
use pingshen::store::Store;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

// A certificate import allocates a few strings a row on one thread and frees them on
// another; glibc's allocator made that a fifth of the import's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "pingshen",
    version,
    about = "评审 — review desk for vocational skill level recognition institutions (Guizhou)"
)]
struct Cli {
    /// SQLite database (default: $XDG_DATA_HOME/pingshen/pingshen.db)
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Use the demo database ($XDG_DATA_HOME/pingshen/demo.db), creating it on first use
    #[arg(long, global = true, conflicts_with = "db")]
    demo: bool,
    /// Language of the output: zh (default) or en
    #[arg(long, global = true, value_name = "zh|en")]
    lang: Option<String>,
    /// Rules file to use instead of the built-in one (or ~/.config/pingshen/rules.toml)
    #[arg(long, global = true, value_name = "PATH")]
    rules: Option<PathBuf>,
    /// Accept a credit code whose check character is wrong (legacy codes), flagged for review
    #[arg(long, global = true)]
    accept_unverified_credit_code: bool,
    /// Draw with ASCII only (for terminals that draw box-drawing characters two cells wide)
    #[arg(long, global = true)]
    ascii: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one application file against the rules in force on its submission date
    Evaluate {
        file: PathBuf,
        /// Print the JSON of the evaluation contract
        #[arg(long)]
        json: bool,
    },
    /// Import application files or certificate records (all or nothing)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Statistics
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Reviewers: the OS accounts that may use pingshen, their role and region
    #[command(subcommand)]
    Reviewer(ReviewerCommand),
    /// Open an automatic-exit case (art. 14) for every lapsed period and refused renewal
    Sweep {
        /// The day to sweep for (default: today)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Exit cases (art. 13-16): record the wrap-up and art. 16 steps, show one, an order's details
    #[command(subcommand)]
    Exit(ExitCommand),
    /// Every open deadline across cases, earliest first, in calendar and working days
    Deadlines {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// The day to count from (default: today)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        /// Only cases in this county or prefecture (division code, e.g. 520100)
        #[arg(long, value_name = "CODE")]
        region: Option<String>,
    },
    /// The termination notice (终止评价活动通知书) or the public announcement, as .docx or .md
    Notice {
        case_no: String,
        /// Where to write it: FILE.docx or FILE.md
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The document number, when its step is not yet recorded
        #[arg(long, value_name = "N")]
        number: Option<String>,
        /// The document's date, when its step is not yet recorded
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<NaiveDate>,
        /// The public announcement of an ordered exit (art. 15) instead of the notice
        #[arg(long)]
        announcement: bool,
    },
    /// The catalogue of institutions in good standing (评价机构目录) on a date
    Catalogue {
        /// The date (default: today)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        /// Only institutions in this county or prefecture (division code)
        #[arg(long, value_name = "CODE")]
        region: Option<String>,
        /// Write it for publication: FILE.csv or FILE.xlsx
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// The audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the database to PATH (a new file) while reviewers keep working
    Backup { path: PathBuf },
    /// Fill the database with a realistic, deterministic demo
    Demo {
        #[arg(long, default_value_t = 200)]
        institutions: usize,
        #[arg(long, default_value_t = 500_000)]
        certificates: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ExitCommand {
    /// Record a step: announced, certificates_reported, files_archived, termination_notice,
    /// ministry_filed, website_updated (in that order; the last closes the case)
    Step {
        case_no: String,
        #[arg(value_parser = ["announced", "certificates_reported", "files_archived",
                              "termination_notice", "ministry_filed", "website_updated"])]
        step: String,
        /// The day it was done
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: NaiveDate,
        /// The document number (announcement, termination notice)
        #[arg(long, value_name = "N")]
        number: Option<String>,
        /// A note kept with the step
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// One exit: kind, article, cause, deadlines, steps done and the next one
    Show {
        case_no: String,
        /// The day to count deadlines from (default: today)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// An ordered exit (art. 15): the violations found and the office's wrap-up deadline
    Order {
        case_no: String,
        #[arg(long, value_name = "TEXT")]
        violations: Option<String>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: Option<NaiveDate>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// pingshen.application/1 JSON files
    Applications {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Certificate records: CSV or XLSX
    Certificates { file: PathBuf },
}

#[derive(Subcommand)]
enum ReviewerCommand {
    /// Add a reviewer, or change one's role or region (an admin; or the first user, as admin)
    Add {
        /// The reviewer's OS account on this server
        account: String,
        /// reviewer, approver or admin
        #[arg(long, value_name = "reviewer|approver|admin")]
        role: String,
        /// Division code: 520000 the province, 520100 a prefecture, 520102 a county
        #[arg(long, value_name = "CODE")]
        region: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of every entry; exits non-zero at the first broken one
    Verify,
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Certificates in each institution's recognition window against the renewal thresholds
    Renewal {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// Date the figures are for (default: today)
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<NaiveDate>,
        /// Only institutions in this county or prefecture (division code, e.g. 520100)
        #[arg(long, value_name = "CODE")]
        region: Option<String>,
        /// Only this category
        #[arg(long, value_parser = ["employer", "school", "social_org"])]
        category: Option<String>,
        /// Only institutions the early warning names
        #[arg(long)]
        at_risk: bool,
        /// Order of the rows
        #[arg(long, default_value = "valid_to", value_parser = ["valid_to", "risk", "region", "shortfall"])]
        sort: String,
        /// Warn about pace this many days before a period ends (default: rules, 180)
        #[arg(long, value_name = "DAYS")]
        at_risk_days: Option<u32>,
        /// Write the statistics to FILE (.csv or .xlsx) instead of printing them
        #[arg(long, value_name = "FILE", conflicts_with = "json")]
        export: Option<PathBuf>,
    },
}

/// mimalloc's option `purge_delay` (its place in `mi_option_e`, the same in mimalloc v2
/// and v3; libmimalloc-sys does not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // The desk must stay small on a shared server: freed memory goes back to the system at
    // once instead of being held for reuse (some 10 MB of a desk's resident set).
    // SAFETY: a plain setter, called before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("pingshen: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<String> {
    let settings = pingshen::settings::Settings::load()?;
    let lang = Lang::pick(cli.lang.as_deref().or(settings.lang.as_deref()));
    let reference = Reference::load(cli.rules.as_deref())?;
    let opts = ValidateOptions {
        accept_unverified_credit_code: cli.accept_unverified_credit_code,
    };
    let db_path = if cli.demo {
        Some(commands::demo::demo_db()?)
    } else {
        cli.db.clone()
    };
    match cli.command {
        // Open to any account: it reads the file the caller holds, and from the database at
        // most the certificate counts of that file's institution, no case or personal data.
        Some(Command::Evaluate { file, json }) => commands::evaluate::run(
            commands::evaluate::Args {
                file: &file,
                json,
                lang,
                db: db_path.as_deref(),
                opts,
            },
            &reference,
        ),
        Some(Command::Import(ImportCommand::Applications { files })) => {
            let mut store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            commands::import::applications(&mut store, &actor, &files, &reference, opts)
        }
        Some(Command::Import(ImportCommand::Certificates { file })) => {
            let mut store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            // A file from the certificate system holds every region's records, and each
            // counts towards its institution's renewal wherever it is: the province's work.
            access::require_province(&actor, "import certificates")?;
            commands::import::certificates(&mut store, &actor.account, &file, &reference, opts)
        }
        Some(Command::Stats(StatsCommand::Renewal {
            json,
            as_of,
            region,
            category,
            at_risk,
            sort,
            at_risk_days,
            export,
        })) => {
            // A wrong extension or folder is refused before the statistics are worked out.
            if let Some(file) = &export {
                pingshen::export::check_target(file)?;
            }
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            let region = access::region(&actor, region.as_deref())?;
            let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            let mut renewal_settings = settings.renewal;
            if at_risk_days.is_some() {
                renewal_settings.at_risk_horizon_days = at_risk_days;
            }
            let warning = renewal_settings.over(pingshen::store::stats::warning_from_rules(
                &reference.rules,
                as_of,
            )?);
            let filter = commands::stats::Filter {
                region,
                category,
                at_risk,
            };
            let sort = commands::stats::Sort::parse(&sort)?;
            let r = commands::stats::load(&store, &reference, as_of, warning, &filter, sort)?;
            if let Some(file) = &export {
                pingshen::export::renewal::run(file, &r, &reference, lang)
            } else if json {
                commands::stats::json(&r, &reference)
            } else {
                Ok(commands::stats::table(&r, &reference, lang))
            }
        }
        Some(Command::Reviewer(ReviewerCommand::Add {
            account,
            role,
            region,
        })) => {
            let mut store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let by = commands::os_account()?;
            commands::reviewer::add(
                &mut store,
                &by,
                &account,
                &role,
                &region,
                &reference.divisions,
            )
        }
        Some(Command::Sweep { as_of, json }) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            let region = access::region(&actor, None)?;
            let today = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            commands::exit::sweep(
                &store,
                &actor.account,
                region.as_deref(),
                &reference,
                today,
                lang,
                json,
            )
        }
        Some(Command::Exit(ExitCommand::Step {
            case_no,
            step,
            date,
            number,
            note,
        })) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let account = commands::os_account()?;
            commands::exit::step(
                &store,
                &account,
                commands::exit::StepArgs {
                    case_no: &case_no,
                    step: &step,
                    date,
                    number: number.as_deref(),
                    note: note.as_deref(),
                    today: chrono::Local::now().date_naive(),
                },
                lang,
            )
        }
        Some(Command::Exit(ExitCommand::Show {
            case_no,
            as_of,
            json,
        })) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            let today = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            commands::exit::show(&store, &actor, &reference, &case_no, today, lang, json)
        }
        Some(Command::Exit(ExitCommand::Order {
            case_no,
            violations,
            deadline,
        })) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let account = commands::os_account()?;
            commands::exit::order(
                &store,
                &account,
                &case_no,
                violations.as_deref(),
                deadline,
                lang,
            )
        }
        Some(Command::Deadlines {
            json,
            as_of,
            region,
        }) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            let region = access::region(&actor, region.as_deref())?;
            let today = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            commands::exit::deadlines(&store, &reference, today, region.as_deref(), lang, json)
        }
        Some(Command::Notice {
            case_no,
            out,
            number,
            date,
            announcement,
        }) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let actor = access::caller(&store.conn)?;
            commands::notice::run(
                &store,
                &reference,
                commands::notice::Args {
                    actor: &actor,
                    case_no: &case_no,
                    out: &out,
                    number: number.as_deref(),
                    date,
                    announcement,
                    today: chrono::Local::now().date_naive(),
                },
                lang,
            )
        }
        Some(Command::Catalogue {
            as_of,
            region,
            export,
            json,
        }) => {
            // Open to any account: the catalogue is what the office publishes (art. 15-16),
            // institutions in good standing and their occupations, no case or personal data.
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
            commands::catalogue::run(
                &store,
                &reference,
                as_of,
                region.as_deref(),
                export.as_deref(),
                json,
                lang,
            )
        }
        Some(Command::Audit(AuditCommand::Verify)) => {
            // Open to any account that can read the file: it prints a count and a hash, no
            // case data, and must work when the reviewers table itself is in doubt.
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            commands::audit::verify(&store)
        }
        Some(Command::Backup { path }) => {
            let store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            // A copy of everything, every region's cases and personal data included.
            let actor = access::caller(&store.conn)?;
            access::require_province_admin(&actor, "backup")?;
            commands::backup::run(&store, &path)
        }
        Some(Command::Demo {
            institutions,
            certificates,
            seed,
        }) => {
            let mut store = Store::open(&commands::db_path(db_path.as_deref())?)?;
            // The demo makes its runner a provincial admin: on a database that already has
            // reviewers (an office's, set up but still without cases), only such an admin.
            let actor = access::caller(&store.conn)?;
            access::require_province_admin(&actor, "demo")?;
            commands::demo::run(
                &mut store,
                &actor.account,
                &reference,
                commands::demo::Options {
                    institutions,
                    certificates,
                    seed,
                    today: chrono::Local::now().date_naive(),
                },
            )
        }
        None => {
            let path = commands::db_path(db_path.as_deref())?;
            if cli.demo && !path.exists() {
                let mut store = Store::open(&path)?;
                let account = commands::os_account()?;
                eprintln!(
                    "pingshen: creating the demo database {} ...",
                    path.display()
                );
                commands::demo::run(
                    &mut store,
                    &account,
                    &reference,
                    commands::demo::Options::default_for_today(),
                )?;
            }
            let store = Store::open(&path)?;
            if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
                // Scripts and pipes get the overview; the desk needs a terminal.
                return commands::demo::overview(&store, &path, lang);
            }
            let account = commands::os_account()?;
            let actor = pingshen::store::review::actor(&store.conn, &account)?;
            let today = chrono::Local::now().date_naive();
            // Automatic exits (art. 14) are opened before the desk shows the queue. A failure
            // here must not keep the reviewer from the desk: one line, and on.
            // Over the reviewer's own region, as the `sweep` command: a county reviewer's
            // session opens no case in another county.
            let sweep_region = access::region(&actor, None)?;
            if let Err(e) = pingshen::store::exits::sweep_in(
                &store.conn,
                &account,
                sweep_region.as_deref(),
                today,
                commands::exit::refs(&reference),
            ) {
                let msg = format!("{e:#}").replace('\n', " ");
                eprintln!("pingshen: sweep: {}", pingshen::text::sanitize(&msg));
            }
            let period_years = reference
                .rules
                .value("recognition_period_years", today)
                .map_err(anyhow::Error::msg)? as u32;
            let warning = settings
                .renewal
                .over(pingshen::store::stats::warning_from_rules(
                    &reference.rules,
                    today,
                )?);
            pingshen::ui::run(
                store,
                actor,
                reference,
                pingshen::ui::app::Options {
                    lang,
                    ascii: cli.ascii || settings.ascii,
                    no_color: std::env::var_os("NO_COLOR").is_some(),
                    today,
                    period_years,
                    warning: Some(warning),
                },
            )?;
            Ok(String::new())
        }
    }
}
