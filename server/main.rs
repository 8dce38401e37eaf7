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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Courses(CoursesCommand::Check { dirs }) = &cli.command {
        let ok = cakap::catalog::check::run(
            dirs,
            &config.courses_dir,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        );
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    cakap::telemetry::init(&config.log);
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
        match cli.command {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Courses(CoursesCommand::Check { .. }) => Ok(()),
            Command::Courses(CoursesCommand::Publish { dirs }) => publish(config, dirs).await,
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

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
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
