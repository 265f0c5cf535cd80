//! The `centralino` binary: parse flags and config, set up logging, run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use centralino::{Config, CrmMode};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "centralino",
    version,
    about = "Contact-center engine for public service desks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Common {
    /// Configuration file (TOML).
    #[arg(long, default_value = "deploy/demo.toml")]
    config: PathBuf,
    /// Directory relative paths of the config are resolved against.
    #[arg(long, default_value = ".")]
    assets_dir: PathBuf,
    /// CRM gRPC (CTI) listen address.
    #[arg(long)]
    grpc_listen: Option<SocketAddr>,
    /// CRM HTTP API listen address.
    #[arg(long)]
    http_listen: Option<SocketAddr>,
    /// Directory of the embedded SQLite store.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Store URL instead of SQLite in the data directory, e.g. postgres://user:pw@127.0.0.1/centralino.
    /// Also read from CENTRALINO_DATABASE_URL.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine (and the embedded CRM unless --crm-url is given).
    Run {
        #[command(flatten)]
        common: Common,
        /// SIP UDP listen address.
        #[arg(long)]
        sip_listen: Option<SocketAddr>,
        /// Send CTI events to this CRM instead of running one in-process, e.g. http://127.0.0.1:50051.
        #[arg(long)]
        crm_url: Option<String>,
    },
    /// Run the CRM service alone.
    Crm {
        #[command(flatten)]
        common: Common,
    },
    /// The IVR script of a running engine: activate an edited file, list the versions that
    /// served, restore one. The engine picks the change up within a second, without a restart.
    Ivr {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: IvrAction,
    },
    /// Show the engine's outbox of call facts: backlog towards the CRM, dead letters.
    Outbox {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: OutboxAction,
    },
    /// Check an IVR script and print every error with file, line and reason, including
    /// prompts it plays that are missing from the prompts directory or unusable.
    CheckIvr {
        /// The script file.
        script: PathBuf,
        #[command(flatten)]
        prompts: PromptsDirArgs,
    },
    /// Import recordings as prompts, list the prompts.
    Prompts {
        #[command(subcommand)]
        action: PromptsAction,
    },
    /// Read a password from standard input (one line) and print its argon2id hash, for
    /// `password_hash` in `[[crm.users]]`.
    HashPassword,
    /// The supervisor's board in the terminal: queues, waits, operators by state, service
    /// levels, live. The password comes from CENTRALINO_PASSWORD or standard input.
    Top {
        /// The CRM's HTTP address (default: http://<[crm] http_listen> of the configuration).
        #[arg(long)]
        url: Option<String>,
        /// A supervisor's login.
        #[arg(long, default_value = "supervisor")]
        login: String,
        /// Print the first view and exit.
        #[arg(long)]
        once: bool,
        /// Configuration file (TOML), for the default address.
        #[arg(long, default_value = "deploy/demo.toml")]
        config: PathBuf,
    },
}

/// Where the prompts are.
#[derive(clap::Args)]
struct PromptsDirArgs {
    /// Prompts directory (default: `[ivr] prompts` of the configuration file).
    #[arg(long)]
    prompts: Option<PathBuf>,
    /// Configuration file (TOML) that names the prompts directory.
    #[arg(long, default_value = "deploy/demo.toml")]
    config: PathBuf,
    /// Directory relative paths of the config are resolved against.
    #[arg(long, default_value = ".")]
    assets_dir: PathBuf,
}

impl PromptsDirArgs {
    fn dir(&self) -> Result<PathBuf, String> {
        centralino::prompt_admin::prompts_dir(
            self.prompts.as_deref(),
            &self.config,
            &self.assets_dir,
        )
        .map_err(|e| format!("{e} (or give the prompts directory with --prompts DIR)"))
    }
}

#[derive(Subcommand)]
enum PromptsAction {
    /// Convert a recording (WAV, MP3, Ogg Vorbis or FLAC) to an 8 kHz mono prompt and install
    /// it as NAME.wav, replacing any earlier version in one step.
    Import {
        /// The recording.
        file: PathBuf,
        /// The prompt's name, as IVR scripts `play` it.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        dir: PromptsDirArgs,
        /// Longest recording accepted, in seconds (at most 900, the longest prompt the engine
        /// loads).
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=900))]
        max_seconds: u64,
        /// Largest file accepted, in MiB.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=4096))]
        max_mib: u64,
    },
    /// List the prompts with their duration, and the files the engine would refuse.
    List {
        #[command(flatten)]
        dir: PromptsDirArgs,
    },
}

#[derive(Subcommand)]
enum IvrAction {
    /// Check FILE as `check-ivr` does and, if it passes, install it in one step as the
    /// configured script (`[ivr] script`).
    Activate {
        /// The edited script.
        file: PathBuf,
    },
    /// The script versions the engine has served, oldest first (the last one serves now).
    Versions,
    /// Check a kept version against today's prompts and install it as the configured script.
    Restore {
        /// The version's id as `ivr versions` prints it.
        version: String,
    },
}

#[derive(Subcommand)]
enum OutboxAction {
    /// Facts waiting for the CRM, the age of the oldest, dead letters, calls in progress (JSON).
    Status,
    /// The facts the CRM refused for good, newest first, with its reason (JSON lines).
    DeadLetters {
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put every dead letter back in the outbox (once the CRM accepts them).
    Retry,
}

impl From<IvrAction> for centralino::ivr_admin::Action {
    fn from(action: IvrAction) -> Self {
        match action {
            IvrAction::Activate { file } => Self::Activate(file),
            IvrAction::Versions => Self::Versions,
            IvrAction::Restore { version } => Self::Restore(version),
        }
    }
}

fn load(common: &Common) -> Result<Config, String> {
    let mut config = Config::load(&common.config, &common.assets_dir).map_err(|e| e.to_string())?;
    if let Some(a) = common.grpc_listen {
        config.grpc_listen = a;
    }
    if let Some(a) = common.http_listen {
        config.http_listen = a;
    }
    if let Some(d) = &common.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(u) = common
        .database_url
        .clone()
        .or_else(|| std::env::var("CENTRALINO_DATABASE_URL").ok())
    {
        config.database_url = Some(u);
    }
    Ok(config)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            // The audio decoders' own log lines say nothing an operator can use: an import's
            // result or refusal says it all.
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,symphonia=off".into()),
        )
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("centralino: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("centralino: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads one line from standard input: the password, without its line end.
/// One line of standard input (a prompt on the terminal, if it is one).
fn read_line(what: &str) -> Result<String, String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{what} (it shows as you type; pipe it in to hide it): ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the {what}: {e}"))?;
    let text = line.strip_suffix('\n').unwrap_or(&line);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

fn read_password() -> Result<crm::auth::Password, String> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (it shows as you type; pipe it in to hide it): ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    let password = crm::auth::Password::new(password);
    password.check_new().map_err(|e| e.to_string())?;
    Ok(password)
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Top {
            url,
            login,
            once,
            config,
        } => {
            use std::io::IsTerminal;
            let url = match url {
                Some(u) => u,
                None => {
                    let c = Config::load(&config, std::path::Path::new("."))
                        .map_err(|e| e.to_string())?;
                    format!("http://{}", c.http_listen)
                }
            };
            let password = match std::env::var("CENTRALINO_PASSWORD") {
                Ok(p) => p,
                Err(_) => read_line("password")?,
            };
            let stdout = std::io::stdout();
            let options = centralino::top::TopOptions {
                url,
                login,
                password,
                once,
                clear: !once && stdout.is_terminal(),
            };
            let mut out = stdout;
            centralino::top::run(&options, &mut out).await
        }
        Command::HashPassword => {
            let password = read_password()?;
            let hash = crm::auth::hash_password(&password, crm::auth::HashCost::default())
                .map_err(|e| e.to_string())?;
            println!("{}", hash.as_str());
            Ok(())
        }
        Command::CheckIvr { script, prompts } => {
            let text = std::fs::read_to_string(&script)
                .map_err(|e| format!("{}: cannot read: {e}", script.display()))?;
            let name = script.display().to_string();
            let parsed = ivr::Script::parse(&name, &text).map_err(|e| e.to_string())?;
            let dir = prompts.dir()?;
            let problems = engine::assets::check_script_prompts(&name, &text, &parsed, &dir)
                .map_err(|e| e.to_string())?;
            if !problems.is_empty() {
                return Err(problems.join("\n"));
            }
            println!(
                "{name}: ok ({} prompts, all in {}; queues: {})",
                parsed.prompts_used().len(),
                dir.display(),
                parsed
                    .queues_used()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(())
        }
        Command::Prompts { action } => prompts_command(action),
        Command::Ivr { common, action } => {
            let config = load(&common)?;
            centralino::ivr_admin::run(&config, action.into())
        }
        Command::Outbox { common, action } => {
            let config = load(&common)?;
            let outbox = centralino::open_outbox(&config, std::sync::Arc::new(common::SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            let text = |e: engine::OutboxError| e.to_string();
            match action {
                OutboxAction::Status => {
                    let status = outbox.status().await.map_err(text)?;
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?
                    );
                }
                OutboxAction::DeadLetters { limit } => {
                    for letter in outbox.dead_letters(limit).await.map_err(text)? {
                        println!(
                            "{}",
                            serde_json::to_string(&letter).map_err(|e| e.to_string())?
                        );
                    }
                }
                OutboxAction::Retry => {
                    let n = outbox.retry_dead_letters().await.map_err(text)?;
                    println!("{n} dead letters back in the outbox");
                }
            }
            outbox.close().await;
            Ok(())
        }
        Command::Crm { common } => {
            let config = load(&common)?;
            let token = config
                .cti_token()
                .map_err(|e| e.to_string())?
                .ok_or_else(|| centralino::StartError::NoCtiToken.to_string())?;
            let (grpc, http, stop, task) = centralino::start_crm(&config, &token)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "centralino crm: gRPC on {grpc}, HTTP on http://{http}/api/v1/service-requests"
            );
            shutdown_signal().await;
            let _ = stop.send(true);
            let _ = task.await;
            Ok(())
        }
        Command::Run {
            common,
            sip_listen,
            crm_url,
        } => {
            let mut config = load(&common)?;
            if let Some(a) = sip_listen {
                config.sip_listen = a;
            }
            if let Some(url) = crm_url {
                config.crm = CrmMode::Remote(url);
            }
            let running = centralino::start(config).await.map_err(|e| e.to_string())?;
            println!(
                "centralino running: SIP udp {} | CRM gRPC {} | HTTP http://{}/api/v1/service-requests",
                running.sip_addr, running.grpc_addr, running.http_addr
            );
            shutdown_signal().await;
            println!("centralino: shutting down (new calls refused, established calls may finish)");
            running.shutdown().await;
            Ok(())
        }
    }
}

fn prompts_command(action: PromptsAction) -> Result<(), String> {
    use std::io::Write as _;
    match action {
        PromptsAction::Import {
            file,
            name,
            dir,
            max_seconds,
            max_mib,
        } => {
            let limits = prompts::ImportLimits {
                max_duration: std::time::Duration::from_secs(max_seconds),
                max_input_bytes: max_mib.saturating_mul(1024 * 1024),
            };
            let report =
                centralino::prompt_admin::import_prompt(&file, &name, &dir.dir()?, &limits)
                    .map_err(|e| e.to_string())?;
            println!("{report}");
            Ok(())
        }
        PromptsAction::List { dir } => {
            let (listing, unusable) =
                centralino::prompt_admin::list_prompts(&dir.dir()?).map_err(|e| e.to_string())?;
            // A listing piped into `head` is no error.
            let _ = writeln!(std::io::stdout().lock(), "{listing}");
            match unusable {
                0 => Ok(()),
                n => Err(format!(
                    "{n} unusable prompt file(s): the engine would not start with them"
                )),
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
