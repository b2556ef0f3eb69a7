//! `auth login`, `auth status` and `auth logout`: the token stored once, in the user's
//! configuration directory ([`driftql::client::config`]).

use std::io::{self, IsTerminal, Read, Write};

use clap::{Args, Subcommand};
use driftql::client::Client;
use driftql::client::config::{Store, StoreError};

use crate::Exit;
use crate::Status;
use crate::api::{self, ApiArgs, TokenSource};

#[derive(Args, Debug)]
pub struct AuthArgs {
    #[command(subcommand)]
    action: AuthAction,
}

#[derive(Subcommand, Debug)]
enum AuthAction {
    /// Read a token (without echo on a terminal, else from standard input), check it with the
    /// API, and store it in the configuration directory (config.toml, readable by you only).
    Login(LoginArgs),
    /// Say which account the token in use belongs to and where it comes from (never the
    /// token).
    Status(StatusArgs),
    /// Remove the stored token.
    Logout,
}

#[derive(Args, Debug)]
struct LoginArgs {
    /// The API's base URL to check the token with. Default: DRIFTNET_API_URL, else
    /// https://api.driftnet.io.
    #[arg(long, value_name = "URL")]
    api_url: Option<String>,
}

#[derive(Args, Debug)]
struct StatusArgs {
    #[command(flatten)]
    api: ApiArgs,
}

pub fn auth(args: AuthArgs) -> Status {
    match args.action {
        AuthAction::Login(a) => login(&a),
        AuthAction::Status(a) => status(&a),
        AuthAction::Logout => logout(),
    }
}

/// The configuration file, or why there is none.
pub fn store() -> Result<Store, Exit> {
    Store::at_default_dir().map_err(|e| store_error(&e))
}

/// Reports a problem with the configuration file: 5 when it could not be read or written, 1
/// otherwise (it may be read by others, or is damaged, or there is no directory for it).
pub fn store_error(e: &StoreError) -> Exit {
    eprintln!("driftql: {e}");
    match e {
        StoreError::Io { .. } => Exit::Io,
        _ => Exit::Invalid,
    }
}

fn login(args: &LoginArgs) -> Status {
    let store = store()?;
    // A file that cannot take the token is refused before the token is asked for.
    store.token().map_err(|e| store_error(&e))?;
    let token = read_token()?;
    let mut b = Client::builder().with_env().token(&token);
    if let Some(u) = &args.api_url {
        b = b.base_url(u);
    }
    let client = b.build().map_err(|e| {
        eprintln!("driftql: {e}");
        Exit::Invalid
    })?;
    let rt = api::runtime()?;
    let account = rt.block_on(client.user()).map_err(|e| api::error(&e))?;
    store.store_token(&token).map_err(|e| store_error(&e))?;
    let who = match (&account.name, &account.user_class) {
        (Some(n), Some(c)) => format!("logged in as {n} ({c})"),
        (Some(n), None) => format!("logged in as {n}"),
        _ => "the token works".to_owned(),
    };
    eprintln!(
        "driftql: {who}; the token is stored in {}",
        store.path().display()
    );
    if std::env::var_os(driftql::client::TOKEN_ENV).is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "note: DRIFTNET_API_TOKEN is set, and is used before the stored token; unset it to \
             use this one"
        );
    }
    Ok(Exit::Ok)
}

/// The token: typed without echo on a terminal, else read from standard input.
fn read_token() -> Result<String, Exit> {
    let token = if io::stdin().is_terminal() {
        rpassword::prompt_password("Driftnet API token (it is not shown): ").map_err(|e| {
            eprintln!("driftql: cannot read the token: {e}");
            Exit::Io
        })?
    } else {
        let mut s = String::new();
        io::stdin().read_to_string(&mut s).map_err(|e| {
            eprintln!("driftql: cannot read the token from standard input: {e}");
            Exit::Io
        })?;
        s
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        eprintln!("driftql: no token given");
        return Err(Exit::Invalid);
    }
    Ok(token)
}

fn status(args: &StatusArgs) -> Status {
    let Some((_, source)) = args.api.token()? else {
        let path = store().map(|s| s.path().display().to_string());
        eprintln!(
            "driftql: no token: none given with --token, none in DRIFTNET_API_TOKEN, none stored{} \
             (driftql auth login stores one)",
            path.map(|p| format!(" in {p}")).unwrap_or_default()
        );
        return Err(Exit::Invalid);
    };
    let client = args.api.client()?;
    let from = match &source {
        TokenSource::Flag => "given with --token".to_owned(),
        TokenSource::Env => "from DRIFTNET_API_TOKEN".to_owned(),
        TokenSource::Stored(path) => format!("stored in {}", path.display()),
    };
    let mut out = io::stdout().lock();
    let rt = api::runtime()?;
    let account = rt.block_on(client.user());
    let mut text = String::new();
    if let Ok(a) = &account {
        let name = a.name.clone().unwrap_or_else(|| "-".into());
        match &a.user_class {
            Some(c) => text += &format!("account  {name} ({c})\n"),
            None => text += &format!("account  {name}\n"),
        }
    }
    text += &format!("token    {from}\n");
    text += &format!("api      {}\n", client.base_url());
    if let Ok(a) = &account {
        let n = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |n| n.to_string());
        text += &format!(
            "quota    {} of {} search units used\n",
            n(a.quota.api_usage),
            n(a.quota.api_limit)
        );
    }
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if let Err(e) = written {
        return Err(api::write_error(&e));
    }
    match account {
        Ok(_) => Ok(Exit::Ok),
        Err(e) => Err(api::error(&e)),
    }
}

fn logout() -> Status {
    let store = store()?;
    let removed = store.remove_token().map_err(|e| store_error(&e))?;
    if removed {
        eprintln!("driftql: removed the token from {}", store.path().display());
    } else {
        eprintln!("driftql: no token is stored in {}", store.path().display());
    }
    if std::env::var_os(driftql::client::TOKEN_ENV).is_some_and(|v| !v.is_empty()) {
        eprintln!("note: DRIFTNET_API_TOKEN is still set, and is used when no --token is given");
    }
    Ok(Exit::Ok)
}
