//! A document's PostgreSQL address: `postgresql://[user[:password]@]host[:port]/database?document=NAME`.
//!
//! `document` (the row) and `schema` (where the tables live, default `swarmcheck`) are ours, and
//! so are `sslmode` and `sslrootcert` (see [`Tls`]); every other query parameter goes to the
//! client as a libpq connection parameter (`connect_timeout`, `application_name`, ...). What the address leaves out comes from libpq's
//! environment and files, as `psql` would take it: `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
//! `PGPASSWORD`, then the password file (`PGPASSFILE`, default `~/.pgpass`).

use postgres::config::Host;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The schema the store's tables live in unless the address names another.
pub const DEFAULT_SCHEMA: &str = "swarmcheck";

/// How long a connection attempt may take unless the address or `PGCONNECT_TIMEOUT` says.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a connection is protected, from `sslmode` and `sslrootcert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tls {
    /// `disable`, `allow` or `prefer` (the default): a plain connection.
    Off,
    /// `require`, `verify-ca` or `verify-full`: TLS, with the server's certificate verified
    /// against `sslrootcert` (a PEM file) or else the system's roots, and its name checked.
    /// Stricter than libpq's `require`, which encrypts without verifying: a certificate nobody
    /// checks does not stop an interceptor.
    Verified { root_cert: Option<PathBuf> },
}

/// A parsed address: the client configuration, and where the document lives.
#[derive(Clone)]
pub struct Address {
    pub config: postgres::Config,
    pub tls: Tls,
    pub schema: String,
    pub document: Option<String>,
    /// Whether the address set `application_name` itself (else each connection names its
    /// process, so that a lock holder can be named).
    pub named_application: bool,
    /// The address without its password, for messages and metrics.
    pub display: String,
    /// What identifies a server, role and schema: connections with the same key are
    /// interchangeable (the document is a statement parameter), so a process shares them
    /// between stores. Holds the password; never shown.
    pub connection_key: String,
}

/// `text` without the password its user part may hold (for messages about an address that
/// could not be parsed).
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}{}", &rest[authority_end..])
        }
        None => text.to_string(),
    }
}

/// Whether `text` is a PostgreSQL address rather than a file path.
pub fn is_address(text: &str) -> bool {
    text.starts_with("postgresql://") || text.starts_with("postgres://")
}

impl Address {
    /// Parses an address; `environment` looks up libpq's variables (the process environment in
    /// production, a map in tests).
    pub fn parse(text: &str, environment: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        if !is_address(text) {
            return Err("a PostgreSQL address starts with postgresql:// or postgres://".into());
        }
        let (base, query) = text.split_once('?').unwrap_or((text, ""));
        let mut document = None;
        let mut schema = None;
        let mut ssl_mode = None;
        let mut root_cert = None;
        let mut passed = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "document" => document = Some(percent_decode(value)?),
                "schema" => schema = Some(percent_decode(value)?),
                "sslmode" => ssl_mode = Some(percent_decode(value)?),
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value)?)),
                _ => passed.push(pair),
            }
        }
        let ssl_mode = ssl_mode
            .or_else(|| environment("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".to_string());
        let root_cert = root_cert.or_else(|| environment("PGSSLROOTCERT").map(PathBuf::from));
        let tls = match ssl_mode.as_str() {
            "disable" | "allow" | "prefer" => Tls::Off,
            "require" | "verify-ca" | "verify-full" => Tls::Verified { root_cert },
            other => {
                return Err(format!(
                    "unknown sslmode `{other}` (disable, allow, prefer, require, verify-ca or verify-full)"
                ))
            }
        };
        let client_text = if passed.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", passed.join("&"))
        };
        let mut config = postgres::Config::from_str(&client_text)
            .map_err(|e| format!("invalid PostgreSQL address: {e}"))?;
        config.ssl_mode(match tls {
            Tls::Off => postgres::config::SslMode::Disable,
            Tls::Verified { .. } => postgres::config::SslMode::Require,
        });
        let schema = schema.unwrap_or_else(|| DEFAULT_SCHEMA.to_string());
        check_identifier(&schema)?;
        if let Some(d) = &document {
            if d.is_empty() || d.len() > 1024 || d.contains('\0') {
                return Err("`document` must be 1 to 1024 characters, without NUL".into());
            }
        }
        fill_defaults(&mut config, environment);
        let named_application = config.get_application_name().is_some();
        let display = display(&config, &schema, document.as_deref());
        // Debug output leaves the password out: add it, so a wrong password never reuses a
        // connection that a right one opened.
        let connection_key = format!("{config:?}\n{:?}\n{schema}\n{tls:?}", config.get_password());
        Ok(Address {
            config,
            tls,
            schema,
            document,
            named_application,
            display,
            connection_key,
        })
    }

    /// The address of the store's tables, quoted for SQL: `"schema".`.
    pub fn qualified(&self, table: &str) -> String {
        format!("\"{}\".{table}", self.schema)
    }
}

/// Schema names are written into SQL, so only plain identifiers are accepted.
fn check_identifier(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`schema={name}` is not a plain identifier (lower-case letters, digits and _, at most 63)"
        ))
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent-encoding in `{text}`"))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` does not decode to UTF-8"))
}

fn fill_defaults(config: &mut postgres::Config, env: &dyn Fn(&str) -> Option<String>) {
    if config.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(h) => {
                config.host(&h);
            }
            None if cfg!(unix) && std::path::Path::new("/var/run/postgresql").is_dir() => {
                config.host("/var/run/postgresql");
            }
            None => {
                config.host("localhost");
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(port) = env("PGPORT").and_then(|p| p.parse().ok()) {
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        if let Some(user) = env("PGUSER")
            .or_else(|| env("USER"))
            .or_else(|| env("LOGNAME"))
        {
            config.user(&user);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(db) = env("PGDATABASE") {
            config.dbname(&db);
        }
    }
    if config.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| from_password_file(config, env));
        if let Some(p) = password {
            config.password(p);
        }
    }
    if config.get_connect_timeout().is_none() {
        let timeout = env("PGCONNECT_TIMEOUT")
            .and_then(|t| t.parse::<u64>().ok())
            .filter(|&t| t > 0)
            .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs);
        config.connect_timeout(timeout);
    }
}

fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(h) => h.clone(),
        // libpq matches a Unix-socket connection against `localhost` in the password file.
        #[cfg(unix)]
        Host::Unix(_) => "localhost".to_string(),
    }
}

/// The password for the first host from the password file, as libpq finds it: `PGPASSFILE`
/// or `~/.pgpass`, ignored when others can read it (as libpq does).
fn from_password_file(
    config: &postgres::Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let path = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let meta = std::fs::metadata(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    #[cfg(not(unix))]
    if !meta.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = config
        .get_hosts()
        .first()
        .map(host_name)
        .unwrap_or_default();
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    password_file_lookup(&text, [&host, &port, &db, &user])
}

/// The password of the first line of a password file (`host:port:database:user:password`, `*`
/// matching anything, `\` escaping `:` and `\`) that matches `wanted`.
fn password_file_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = split_escaped(line);
            if fields.len() != 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want);
            matches.then(|| fields[4].clone())
        })
}

fn split_escaped(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("one field").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

/// The address as shown in messages and metrics events: never the password.
fn display(config: &postgres::Config, schema: &str, document: Option<&str>) -> String {
    let mut out = String::from("postgresql://");
    if let Some(user) = config.get_user() {
        out.push_str(user);
        out.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = match h {
                Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                Host::Unix(p) => p.display().to_string().replace('/', "%2F"),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    out.push_str(&hosts.join(","));
    out.push('/');
    out.push_str(config.get_dbname().unwrap_or_default());
    let mut params = Vec::new();
    if let Some(d) = document {
        params.push(format!("document={d}"));
    }
    if schema != DEFAULT_SCHEMA {
        params.push(format!("schema={schema}"));
    }
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn document_and_schema_are_ours_other_parameters_pass_through() {
        let a = Address::parse(
            "postgresql://ann:s3cret@db.example:6543/swarm?document=queue%20one&schema=agents&sslmode=disable&application_name=w1",
            &no_env,
        )
        .unwrap();
        assert_eq!(a.document.as_deref(), Some("queue one"));
        assert_eq!(a.schema, "agents");
        assert_eq!(a.config.get_user(), Some("ann"));
        assert_eq!(a.config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(a.config.get_dbname(), Some("swarm"));
        assert_eq!(a.config.get_application_name(), Some("w1"));
        assert!(a.named_application);
        assert_eq!(
            a.display,
            "postgresql://ann@db.example:6543/swarm?document=queue one&schema=agents"
        );
        assert!(!a.display.contains("s3cret"));
    }

    #[test]
    fn bad_addresses_are_refused_with_the_reason() {
        let bad = |text: &str| Address::parse(text, &no_env).err().unwrap();
        assert!(bad("postgresql://h/db?nonsense=1").contains("invalid PostgreSQL address"));
        assert!(bad("postgresql://h/db?document=a&schema=Robert%27%3B").contains("schema"));
        assert!(bad("postgresql://h/db?document=%zz").contains("percent"));
        assert!(bad("/tmp/x.json").contains("starts with"));
        assert_eq!(
            redact("postgresql://ann:s3cret@h:1/db?bogus=1"),
            "postgresql://ann@h:1/db?bogus=1"
        );
        assert_eq!(redact("postgresql://h/db"), "postgresql://h/db");
    }

    #[test]
    fn sslmode_decides_tls_and_require_verifies() {
        let tls = |q: &str| Address::parse(&format!("postgresql://h/db?document=d{q}"), &no_env);
        assert_eq!(tls("").unwrap().tls, Tls::Off);
        assert_eq!(tls("&sslmode=disable").unwrap().tls, Tls::Off);
        assert_eq!(
            tls("&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem")
                .unwrap()
                .tls,
            Tls::Verified {
                root_cert: Some(PathBuf::from("/etc/ca.pem"))
            }
        );
        assert_eq!(
            tls("&sslmode=require").unwrap().tls,
            Tls::Verified { root_cert: None }
        );
        assert!(tls("&sslmode=sometimes")
            .err()
            .unwrap()
            .contains("unknown sslmode"));
    }

    #[test]
    fn environment_fills_what_the_address_leaves_out() {
        let env = |k: &str| match k {
            "PGHOST" => Some("10.0.0.5".to_string()),
            "PGPORT" => Some("5555".to_string()),
            "PGUSER" => Some("worker".to_string()),
            "PGPASSWORD" => Some("pw".to_string()),
            _ => None,
        };
        let a = Address::parse("postgresql:///jobs?document=q", &env).unwrap();
        assert_eq!(a.config.get_hosts(), &[Host::Tcp("10.0.0.5".into())]);
        assert_eq!(a.config.get_ports(), &[5555]);
        assert_eq!(a.config.get_user(), Some("worker"));
        assert_eq!(a.config.get_password(), Some(&b"pw"[..]));
        assert_eq!(
            a.display,
            "postgresql://worker@10.0.0.5:5555/jobs?document=q"
        );
    }

    #[test]
    fn password_file_lines_match_like_libpq() {
        let text = "# comment\nother:5432:*:*:nope\n*:5432:jobs:worker:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(
            password_file_lookup(text, ["db1", "5432", "jobs", "worker"]).as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            password_file_lookup(text, ["db1", "5433", "jobs", "worker"]).as_deref(),
            Some("fallback")
        );
        assert_eq!(password_file_lookup("a:b:c\n", ["a", "b", "c", "d"]), None);
    }
}
