//! `junction`: the command line. Parses arguments and environment, then calls `server`.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use app::db::{DEFAULT_DATABASE_URL, DatabaseUrl};
use clap::{Args, Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "junction",
    version,
    about = "Junction: routing forms and an app store."
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct Common {
    /// sqlite://FILE, a file path (SQLite), or postgres://USER@HOST/DB [default: sqlite://junction.db]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Directory for uploaded files and other server-side data.
    #[arg(
        long,
        env = "JUNCTION_DATA_DIR",
        global = true,
        default_value = "./data"
    )]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application.
    Serve(ServeArgs),
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Work with JSON Logic rules.
    Logic {
        #[command(subcommand)]
        command: LogicCommand,
    },
    /// Manage the key app secrets are sealed with.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Publish apps built as WebAssembly components, and start new ones.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Upload an app (or a new version of one of yours) in draft, verified; prints the
    /// verification report. An image the manifest names as "logo" or among "screenshots"
    /// is uploaded from beside the manifest.
    Upload {
        /// The publisher's account.
        #[arg(long)]
        email: String,
        manifest: PathBuf,
        component: PathBuf,
    },
    /// Submit a verified version for approval.
    Submit {
        /// The publisher's account.
        #[arg(long)]
        email: String,
        slug: String,
        version: String,
    },
    /// Approve a submitted version: it joins the catalog.
    Approve { slug: String, version: String },
    /// Reject a submitted version, saying why.
    Reject {
        slug: String,
        version: String,
        #[arg(long)]
        reason: String,
    },
    /// Write a new app project, from the template, into ./<slug> (or --into).
    New {
        name: String,
        #[arg(long)]
        into: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Seal every stored secret under a new key, while servers keep running. With the key
    /// file, the new key is added to it (older keys still open what is not re-sealed yet);
    /// with JUNCTION_SECRET_KEY, put a new key first in it on every server, then run this.
    Rotate,
}

#[derive(Subcommand)]
enum LogicCommand {
    /// Evaluate JSON Lines from standard input: each line an object with "rule" and "data"
    /// (or, with --rule, each line a data object). Writes one line per input line:
    /// {"result": …} or {"error": "…"}.
    Eval {
        /// Compile this rule once and apply it to every line.
        #[arg(long)]
        rule: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JUNCTION_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Mark the session cookie Secure (set when Junction is served over HTTPS).
    #[arg(long, env = "JUNCTION_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Seconds a client may take to send a request's headers before it is disconnected.
    #[arg(long, env = "JUNCTION_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds requests in flight may run on after SIGTERM or SIGINT before they are cut.
    #[arg(long, env = "JUNCTION_SHUTDOWN_GRACE", default_value_t = 20)]
    shutdown_grace: u64,
    /// Megabytes of uploaded files one form may hold.
    #[arg(long, env = "JUNCTION_FORM_STORAGE_MB", default_value_t = 1024)]
    form_storage_mb: u64,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key acting as the account with this email; prints only the key.
    Create {
        #[arg(long)]
        email: String,
        /// A label to tell the key apart in Settings.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator (or promote an existing account). The password comes from
    /// JUNCTION_PASSWORD when set, otherwise from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(message) => {
            if !message.is_empty() {
                println!("{message}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => fail(message),
    }
}

async fn run(cli: Cli) -> Result<String, String> {
    // Only the subcommands that use the database read its URL.
    let database_url = || {
        DatabaseUrl::parse(
            cli.common
                .database_url
                .as_deref()
                .unwrap_or(DEFAULT_DATABASE_URL),
        )
    };
    let data_dir = cli.common.data_dir.clone();
    match cli.command {
        None => serve(ServeArgs::from_env()?, database_url()?, data_dir).await,
        Some(Command::Serve(ref args)) => serve(args.clone(), database_url()?, data_dir).await,
        Some(Command::Migrate) => {
            let url = database_url()?;
            let db = server::open_database(&url).await?;
            db.close().await;
            Ok(format!("migrations applied to {}", url.redacted()))
        }
        Some(Command::Admin {
            command: AdminCommand::Create { ref email },
        }) => {
            let password = read_password()?;
            server::create_admin(&database_url()?, email, &password).await
        }
        Some(Command::ApiKey {
            command:
                ApiKeyCommand::Create {
                    ref email,
                    ref name,
                },
        }) => server::create_api_key(&database_url()?, email, name).await,
        Some(Command::Secrets {
            command: SecretsCommand::Rotate,
        }) => server::rotate_secrets(&database_url()?, &data_dir).await,
        Some(Command::App { ref command }) => match command {
            AppCommand::Upload { email, manifest, component } => {
                server::app_cli::upload(&database_url()?, &data_dir, email, manifest, component).await
            }
            AppCommand::Submit { email, slug, version } => {
                server::app_cli::submit(&database_url()?, &data_dir, email, slug, version).await
            }
            AppCommand::Approve { slug, version } => {
                server::app_cli::decide(&database_url()?, &data_dir, slug, version, None).await
            }
            AppCommand::Reject { slug, version, reason } => {
                server::app_cli::decide(&database_url()?, &data_dir, slug, version, Some(reason)).await
            }
            AppCommand::New { name, into } => server::app_cli::new_project(name, into.as_deref()),
        },
        Some(Command::Logic {
            command: LogicCommand::Eval { ref rule },
        }) => {
            let rule = rule.as_deref().map(server::logic::load_rule).transpose()?;
            server::logic::eval_lines(
                std::io::stdin().lock(),
                std::io::stdout().lock(),
                rule.as_ref(),
            )
            .map_err(|e| format!("cannot read standard input or write the results: {e}"))?;
            Ok(String::new())
        }
    }
}

impl ServeArgs {
    /// The serve options when no subcommand was given: flags are absent, so only the
    /// environment and defaults apply.
    fn from_env() -> Result<ServeArgs, String> {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::try_parse_from(["junction"])
            .map(|only| only.args)
            .map_err(|e| e.to_string())
    }
}

async fn serve(
    args: ServeArgs,
    database_url: DatabaseUrl,
    data_dir: PathBuf,
) -> Result<String, String> {
    server::serve(server::ServeConfig {
        addr: args.addr,
        database_url,
        data_dir,
        secure_cookies: args.secure_cookies,
        connection_limits: server::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
            shutdown_grace: std::time::Duration::from_secs(args.shutdown_grace),
        },
        form_storage_bytes: args.form_storage_mb.saturating_mul(1024 * 1024),
    })
    .await?;
    Ok(String::new())
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("JUNCTION_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("no password given: set JUNCTION_PASSWORD or pass it on standard input".into());
    }
    Ok(password)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
