//! The `cakap` command: a thin CLI over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cakap::{Application, Config};

/// Cakap: self-paced e-learning for Indonesia's civil servants (ASN).
///
/// Settings come from built-in defaults, then an optional cakap.toml, then CAKAP_* environment
/// variables (see README.md). With no settings, Cakap keeps its data in ./data (SQLite) and
/// listens on http://127.0.0.1:8080.
#[derive(Parser)]
#[command(name = "cakap", version, about, long_about)]
struct Cli {
    /// Read settings from this file instead of ./cakap.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (migrates the database first). Stop it with ctrl-c or SIGTERM.
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Check and publish course folders.
    #[command(subcommand)]
    Courses(CoursesCommand),
    /// Create accounts (such as the first administrator) and list them.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Verify certificates, print the public keys, rotate the signing key.
    #[command(subcommand)]
    Certificates(CertificatesCommand),
    /// Tools for developers: generated data for benchmarks and demonstrations.
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand)]
enum DevCommand {
    /// Fill the database with realistic generated data: agencies, units, positions, people
    /// (asn1@seed.cakap.test … asnN@seed.cakap.test), courses (copies of the sample courses),
    /// enrollments, quiz attempts, completions, certificates and milestones. Meant for a fresh
    /// database; refuses one that already holds generated people.
    Seed {
        /// Number of people.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Number of courses (copies of the sample courses, as intakes "Angkatan N").
        #[arg(long, default_value_t = 20)]
        courses: usize,
        /// Number of completions in all (each person completes a course at most once).
        #[arg(long, default_value_t = 5000)]
        completions: usize,
        /// Completions of the benchmark person asn1@seed.cakap.test, made through the real
        /// learning code (at most --courses).
        #[arg(long, default_value_t = 200)]
        heavy: usize,
        /// The password of every generated account.
        #[arg(long, default_value = "Benchmark-Cakap-2026")]
        password: String,
        /// The folder of sample courses to copy (default: the configured courses folder).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// Where to write the generated course folders (replaced; default: DATA_DIR/seed-courses).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Seed of the random choices.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Quiz attempts to leave open for a submission benchmark (one per person and course,
        /// from asn2 on), started through the real code.
        #[arg(long, default_value_t = 0)]
        open_attempts: usize,
        /// Where to list the open attempts: e-mail, attempt id and the JSON body of a right
        /// submission, tab-separated, one per line.
        #[arg(long, value_name = "FILE")]
        attempts_out: Option<PathBuf>,
        /// Number of agencies the people are spread over evenly (default: one per 2,000 people,
        /// at most 48). `--users 1000000 --agencies 25` gives agencies of 40,000, a province.
        #[arg(long)]
        agencies: Option<usize>,
    },
}

#[derive(Subcommand)]
enum CertificatesCommand {
    /// Verify a certificate: a verification code or link (looked up in the database), or a
    /// certificate JWT. With --jwks the JWT is checked offline against that key file alone.
    /// Exits 0 when valid, 1 when not.
    Verify {
        #[arg(value_name = "CODE_OR_JWT")]
        input: String,
        /// A JWKS file (from <server>/.well-known/jwks.json) to verify a JWT without a database.
        #[arg(long, value_name = "FILE")]
        jwks: Option<PathBuf>,
    },
    /// Print the JWKS (every public key that ever signed a certificate).
    Jwks,
    /// Make a new signing key in the data folder; older keys keep verifying. Restart the
    /// servers (and copy the data folder's certificate-keys/ to each) to sign with it.
    RotateKey,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a verified account that can log in at once. Without --password-stdin you are
    /// asked for the password twice; when no one is there to ask (a script), a strong password
    /// is made up and printed once.
    Add {
        /// The person's e-mail address (their login).
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// The person's full name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// What the account may do: admin (the whole platform), agency-admin (one agency; needs
        /// --agency), author (writes courses) or learner.
        #[arg(long, value_name = "ROLE", default_value = "learner",
              value_parser = ["admin", "agency-admin", "author", "learner"])]
        role: String,
        /// The code of the person's agency (instansi), e.g. KAB-SLEMAN.
        #[arg(long, value_name = "CODE")]
        agency: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account: e-mail, name and roles.
    List,
}

#[derive(Subcommand)]
enum CoursesCommand {
    /// Check course folders and list every problem as file:line: what is wrong; what to do.
    /// Exits 1 when anything is wrong. Accepts course folders, a folder of courses, or
    /// competencies.toml (so `cakap courses check courses/*` works).
    Check {
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// Check course folders, then store each valid one as a new version in the database
    /// (unchanged files change nothing). Exits 1 when any folder could not be published.
    Publish {
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// Convert a Moodle GIFT question bank into a quiz module of a course folder, written as
    /// DIR/NN-kuis-<slug>.md (NN: one more than the highest module number; never overwrites).
    /// Reports every warning and every question it could not convert with its GIFT line.
    /// Exits 1 when the file cannot be read, DIR is not a course folder or nothing converts.
    ImportGift {
        /// The GIFT file (as Moodle exports it, or written by hand).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The course folder (the one holding course.md) to add the quiz module to.
        #[arg(long, value_name = "DIR")]
        into: PathBuf,
        /// The quiz title; default: the file's single $CATEGORY, else the file name.
        #[arg(long, value_name = "T")]
        title: Option<String>,
    },
}

fn main() -> ExitCode {
    cakap::memory::limit_arenas();
    let cli = Cli::parse();
    // a file conversion: needs no settings, so it works without a cakap.toml
    if let Command::Courses(CoursesCommand::ImportGift { file, into, title }) = &cli.command {
        let ok = cakap::catalog::gift::import(
            file,
            into,
            title.as_deref(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        );
        return exit_code(ok);
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    cakap::clock::set_platform_default(config.time_zone);
    if let Command::Courses(CoursesCommand::Check { dirs }) = &cli.command {
        let ok = cakap::catalog::check::run(
            dirs,
            &config.courses_dir,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        );
        return exit_code(ok);
    }
    if let Command::Users(cmd) = cli.command {
        return reported(users(&config, cmd));
    }
    if let Command::Certificates(cmd) = cli.command {
        return certificates(&config, cmd);
    }
    if let Command::Dev(cmd) = cli.command {
        return reported(dev(&config, cmd));
    }
    cakap::telemetry::init(&config.log);
    run_async(config, cli.command)
}

/// Success or failure as the exit code.
fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The exit code of a command's result; an error is printed first.
fn reported<E: std::fmt::Display>(result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the commands that need the async runtime: serve, migrate, publish.
fn run_async(config: Config, command: Command) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Courses(CoursesCommand::Check { .. } | CoursesCommand::ImportGift { .. }) => {
                Ok(())
            }
            Command::Courses(CoursesCommand::Publish { dirs }) => publish(config, dirs).await,
            Command::Users(_) | Command::Certificates(_) | Command::Dev(_) => Ok(()),
        }
    });
    reported(result)
}

/// `cakap users …`: synchronous, so that a password prompt owns the terminal.
fn users(config: &Config, cmd: UsersCommand) -> Result<(), String> {
    use cakap::accounts::cli;
    match cmd {
        UsersCommand::Add {
            email,
            name,
            role,
            agency,
            password_stdin,
        } => {
            let role = cli::Role::parse(&role).ok_or("unknown --role")?;
            let (password, generated) = read_password(password_stdin)?;
            let mut conn = connect(config)?;
            let created = cli::add_user(
                &mut conn,
                &cli::AddUser {
                    email,
                    name,
                    role,
                    agency,
                    password: password.clone(),
                },
            )?;
            println!(
                "Akun dibuat / account created: {} ({})",
                created.email, created.roles
            );
            if generated {
                println!(
                    "Kata sandi awal: {password}; simpan sekarang, tidak akan ditampilkan lagi."
                );
            }
            Ok(())
        }
        UsersCommand::List => {
            let mut conn = connect(config)?;
            for u in cli::list_users(&mut conn)? {
                let disabled = if u.disabled { " [disabled]" } else { "" };
                println!("{}\t{}\t{}{disabled}", u.email, u.name, u.roles);
            }
            Ok(())
        }
    }
}

/// `cakap dev …`.
fn dev(config: &Config, cmd: DevCommand) -> Result<(), String> {
    let DevCommand::Seed {
        users,
        courses,
        completions,
        heavy,
        password,
        templates,
        out,
        seed,
        open_attempts,
        attempts_out,
        agencies,
    } = cmd;
    let keyring = cakap::certificates::keys::Keyring::load_or_create(&config.data_dir)
        .map_err(|e| e.to_string())?;
    let issuer = cakap::certificates::Issuer {
        signer: keyring.current,
        base_url: config.base_url.as_str().trim_end_matches('/').to_string(),
        config: config.certificates.clone(),
    };
    let options = cakap::seed::Options {
        users,
        courses,
        completions,
        heavy,
        password,
        templates: templates.unwrap_or_else(|| config.courses_dir.clone()),
        courses_out: out.unwrap_or_else(|| config.data_dir.join("seed-courses")),
        seed,
        open_attempts,
        attempts_out,
        agencies,
    };
    let mut conn = connect(config)?;
    let s = cakap::seed::run(&mut conn, &issuer, &options, &mut |line| println!("{line}"))
        .map_err(|e| e.to_string())?;
    println!(
        "seeded in {:.1} s: {} agencies, {} units, {} positions, {} people, {} courses, {} enrollments, {} lessons done, {} quiz attempts, {} completions, {} evidence rows, {} certificates, {} milestones, {} open quiz attempts",
        s.seconds,
        s.agencies,
        s.units,
        s.positions,
        s.users,
        s.courses,
        s.enrollments,
        s.lessons_done,
        s.attempts,
        s.completions,
        s.evidence,
        s.certificates,
        s.milestones,
        s.open_attempts
    );
    println!(
        "log in as {} with the password given (--password); course folders in {}",
        s.benchmark_email,
        options.courses_out.display()
    );
    Ok(())
}

/// `cakap certificates …`.
fn certificates(config: &Config, cmd: CertificatesCommand) -> ExitCode {
    use cakap::certificates::cli;
    let result = match cmd {
        CertificatesCommand::Verify { input, jwks } => {
            let report = match jwks {
                Some(path) => {
                    cli::read_jwks(&path).and_then(|keys| cli::verify(&input, Some(keys), None))
                }
                None => {
                    connect(config).and_then(|mut conn| cli::verify(&input, None, Some(&mut conn)))
                }
            };
            match report {
                Ok(r) => {
                    for line in &r.lines {
                        println!("{line}");
                    }
                    return if r.valid {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    };
                }
                Err(e) => Err(e),
            }
        }
        CertificatesCommand::Jwks => connect(config)
            .and_then(|mut conn| cli::jwks(&mut conn, &config.data_dir))
            .map(|doc| println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())),
        CertificatesCommand::RotateKey => connect(config)
            .and_then(|mut conn| cli::rotate(&mut conn, &config.data_dir))
            .map(|kid| println!("new signing key {kid}; restart the servers to sign with it")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn connect(config: &Config) -> Result<cakap::db::DbConnection, String> {
    cakap::db::migrate(&config.database).map_err(|e| e.to_string())?;
    cakap::db::pool::connect(&config.database, false).map_err(|e| e.to_string())
}

/// The password, and whether it was made up here.
fn read_password(from_stdin: bool) -> Result<(String, bool), String> {
    use std::io::{BufRead, IsTerminal};
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        if pw.is_empty() {
            return Err("--password-stdin: the first line of standard input is empty".into());
        }
        return Ok((pw, false));
    }
    if std::io::stdin().is_terminal() {
        let read = |prompt: &str| {
            rpassword::prompt_password(prompt).map_err(|e| format!("cannot read the password: {e}"))
        };
        let pw = read("Kata sandi / password: ")?;
        if pw != read("Ulangi / again: ")? {
            return Err("the two passwords differ; run the command again".into());
        }
        return Ok((pw, false));
    }
    Ok((cakap::accounts::cli::generate_password(), true))
}

#[cfg_attr(not(debug_assertions), allow(unused_mut))]
async fn serve(mut config: Config) -> Result<(), Box<dyn std::error::Error>> {
    // Debug builds only (the servers tests start): a fixed clock for date decisions, so that a
    // test of whole `cakap serve` processes chooses the day. A release build has no such variable:
    // it always reads the system clock.
    #[cfg(debug_assertions)]
    if let Ok(at) = std::env::var("CAKAP_TEST_CLOCK") {
        let at =
            chrono::NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%dT%H:%M:%S").map_err(|e| {
                format!("CAKAP_TEST_CLOCK {at:?}: expected UTC as 2026-11-10T03:00:00 ({e})")
            })?;
        config.clock = cakap::clock::Clock::fixed(at);
    }
    let base = config.base_url.clone();
    let db = config.database.display();
    let app = Application::build(config).await?;
    eprintln!(
        "Cakap {} is running at {base} (database: {db}); stop it with ctrl-c",
        cakap::VERSION
    );
    app.run_until_stopped().await?;
    eprintln!("Cakap stopped");
    Ok(())
}

async fn migrate(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let url = config.database.clone();
    let applied = tokio::task::spawn_blocking(move || cakap::db::migrate(&url)).await??;
    if applied.is_empty() {
        println!(
            "The database at {} is up to date.",
            config.database.display()
        );
    } else {
        println!(
            "Applied {} migration(s) to {}: {}",
            applied.len(),
            config.database.display(),
            applied.join(", ")
        );
    }
    Ok(())
}

async fn publish(config: Config, dirs: Vec<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::IsTerminal;
    let url = config.database.clone();
    let courses_dir = config.courses_dir.clone();
    let (general, reports) = tokio::task::spawn_blocking(move || {
        cakap::db::migrate(&url)?;
        let mut conn = cakap::db::pool::connect(&url, false)?;
        let bar = (std::io::stderr().is_terminal() && dirs.len() > 1).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let result = cakap::catalog::batch::publish_dirs(
            &mut conn,
            &dirs,
            &courses_dir,
            cakap::catalog::publish::Mode::Explicit,
            &mut |i, total, name| {
                if let Some(bar) = &bar {
                    bar.set_length(total as u64);
                    bar.set_position(i as u64);
                    bar.set_message(name.to_string());
                }
            },
        );
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok::<_, cakap::db::DbError>(result)
    })
    .await??;
    let mut failed = cakap::catalog::diag::has_errors(&general);
    for d in &general {
        eprintln!("{d}");
    }
    for r in &reports {
        for d in &r.diagnostics {
            eprintln!("{d}");
        }
        if r.ok() {
            println!("{}", r.line());
        } else {
            eprintln!("{}", r.line());
            failed = true;
        }
    }
    if failed {
        return Err("some courses were not published; see the messages above".into());
    }
    Ok(())
}
