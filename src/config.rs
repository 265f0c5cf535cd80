//! The configuration file (`deploy/demo.toml` in the demo): its sections, their defaults and
//! checks, and [`Config`], what `centralino run` and `centralino crm` need.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use engine::{AcdSettings, AgentConfig, EngineConfig, acd};
use serde::Deserialize;

use crate::crm_users;

/// Where CTI events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrmMode {
    /// Run the CRM service in this process, listening on `grpc_listen` and `http_listen`.
    Embedded,
    /// Send CTI events to a CRM running elsewhere (`centralino crm`), e.g. `http://10.0.0.5:50051`.
    Remote(String),
}

/// Everything `centralino run` needs. Loaded from TOML; the binary's flags override fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// SIP UDP listen address, e.g. 127.0.0.1:5060 (port 0 = pick a free one).
    pub sip_listen: SocketAddr,
    /// CTI gRPC listen address of the embedded CRM (port 0 = a free one).
    pub grpc_listen: SocketAddr,
    /// HTTP listen address of the embedded CRM API (port 0 = a free one).
    pub http_listen: SocketAddr,
    /// Where the embedded store keeps its SQLite file.
    pub data_dir: PathBuf,
    /// Relative paths (script, prompts) are resolved against this directory.
    pub assets_dir: PathBuf,
    /// The store's URL; `None` = SQLite in `data_dir`. `postgres://...` for PostgreSQL.
    pub database_url: Option<String>,
    pub crm: CrmMode,
    /// A file holding the engine's service credential (the CTI link's bearer token).
    /// `CENTRALINO_CTI_TOKEN` in the environment takes precedence. With neither, an embedded
    /// CRM gets a fresh random credential per run; a separate CRM refuses to start.
    pub cti_token_file: Option<PathBuf>,
    /// The service catalogue the CRM opens and routes the cases of calls by
    /// (`deploy/catalogue.toml` in the demo). `None`: every case opens in the built-in
    /// `intake` queue.
    pub catalogue: Option<PathBuf>,
    pub ivr_script: PathBuf,
    pub prompts_dir: PathBuf,
    /// The staff of `[[crm.users]]`, applied to the store when the CRM starts.
    pub crm_users: Vec<crm::auth::ConfiguredUser>,
    /// Session lifetime, lockouts and the cost of new password hashes.
    pub crm_auth: crm::AuthSettings,
    /// `crm.secure_cookies`: the pages' session cookie always gets `Secure` (browsers reach
    /// the CRM over https).
    pub crm_secure_cookies: bool,
    /// Everything the engine itself is configured with (its `sip_addr` is filled in when the
    /// SIP socket is bound).
    pub engine: EngineConfig,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    sip: SipSection,
    media: MediaSection,
    ivr: IvrSection,
    crm: CrmSection,
    store: StoreSection,
    #[serde(default)]
    operators: OperatorsSection,
    #[serde(default)]
    agents: Vec<AgentConfig>,
    #[serde(default)]
    queues: Vec<acd::QueueConfig>,
    #[serde(default)]
    acd: AcdSettings,
    #[serde(default)]
    limits: engine::Limits,
    #[serde(default)]
    shutdown_grace: Option<f64>,
    #[serde(default)]
    engine: EngineSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineSection {
    /// This engine's name in call IDs.
    #[serde(default = "default_node")]
    node: String,
    /// How callers' numbers become E.164; Italy's rules unless given.
    #[serde(default = "common::phone::NumberingPlan::italy")]
    numbering_plan: common::phone::NumberingPlan,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            node: default_node(),
            numbering_plan: common::phone::NumberingPlan::italy(),
        }
    }
}

fn default_node() -> String {
    "cn".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SipSection {
    listen: SocketAddr,
    domain: String,
    /// Digest algorithms offered to phones, most preferred first: "SHA-256", "MD5".
    #[serde(default)]
    digest_algorithms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaSection {
    ip: IpAddr,
    /// `[first, last]`: RTP on the even ports of this range only.
    #[serde(default)]
    rtp_ports: Option<[u16; 2]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IvrSection {
    script: PathBuf,
    prompts: PathBuf,
    #[serde(default)]
    answer_delay: f64,
    #[serde(default = "default_hours")]
    hours: String,
    #[serde(default)]
    utc_offset_minutes: i32,
    /// "none" (the default) or "eu" (European summer time on top of `utc_offset_minutes`).
    #[serde(default = "default_daylight_saving")]
    daylight_saving: String,
}

fn default_daylight_saving() -> String {
    "none".into()
}

fn default_hours() -> String {
    "calendar".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrmSection {
    embedded: bool,
    grpc_listen: SocketAddr,
    http_listen: SocketAddr,
    #[serde(default)]
    url: Option<String>,
    /// The address at which people's browsers reach the CRM's pages, e.g.
    /// `https://crm.example.org`; the embedded CRM's defaults to `http://<http_listen>`.
    #[serde(default)]
    public_url: Option<String>,
    /// A file holding the engine's service credential for the CTI link.
    #[serde(default)]
    token_file: Option<PathBuf>,
    /// The service catalogue (TOML) the CRM works cases by.
    #[serde(default)]
    catalogue: Option<PathBuf>,
    #[serde(default = "crm_users::default_session_lifetime_minutes")]
    session_lifetime_minutes: u64,
    #[serde(default)]
    secure_cookies: bool,
    #[serde(default)]
    login: crm_users::LoginSection,
    #[serde(default)]
    users: Vec<crm_users::UserEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    data_dir: PathBuf,
    #[serde(default)]
    database_url: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OperatorsSection {
    #[serde(default)]
    registration_means_ready: bool,
}

impl Config {
    /// Read a TOML config file. Relative paths in it are relative to `assets_dir`.
    pub fn load(path: &Path, assets_dir: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path, assets_dir)
    }

    pub fn parse(text: &str, path: &Path, assets_dir: &Path) -> Result<Config, ConfigError> {
        let parse_err = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let file: FileConfig = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
        let hours_override = match file.ivr.hours.as_str() {
            "calendar" => None,
            "always-open" => Some(true),
            "always-closed" => Some(false),
            other => {
                return Err(parse_err(format!(
                    "ivr.hours must be \"calendar\", \"always-open\" or \"always-closed\", not {other:?}"
                )));
            }
        };
        let daylight_saving = match file.ivr.daylight_saving.as_str() {
            "none" => ivr::DaylightSaving::None,
            "eu" => ivr::DaylightSaving::EuropeanUnion,
            other => {
                return Err(parse_err(format!(
                    "ivr.daylight_saving must be \"none\" or \"eu\", not {other:?}"
                )));
            }
        };
        let crm =
            if file.crm.embedded {
                CrmMode::Embedded
            } else {
                CrmMode::Remote(file.crm.url.ok_or_else(|| {
                    parse_err("crm.url is required when crm.embedded = false".into())
                })?)
            };
        if !(0.0..=60.0).contains(&file.ivr.answer_delay) {
            return Err(parse_err(
                "ivr.answer_delay must be between 0 and 60 seconds".into(),
            ));
        }
        let node = &file.engine.node;
        if node.is_empty()
            || node.len() > 32
            || !node
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(parse_err(format!(
                "engine.node must be 1 to 32 of a-z, 0-9 and -, not {node:?}"
            )));
        }
        file.engine
            .numbering_plan
            .check()
            .map_err(|e| parse_err(format!("engine.numbering_plan: {e}")))?;
        let digest_algorithms = file
            .sip
            .digest_algorithms
            .iter()
            .map(|name| {
                sip_transaction_algorithm(name).ok_or_else(|| {
                    parse_err(format!(
                        "sip.digest_algorithms: {name:?} is neither \"SHA-256\" nor \"MD5\""
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rtp_ports = match file.media.rtp_ports {
            Some([first, last]) if first < 1024 || last < first.saturating_add(1) => {
                return Err(parse_err(format!(
                    "media.rtp_ports: [{first}, {last}] must be two ports from 1024 up, the first below the last"
                )));
            }
            Some([first, last]) => Some((first, last)),
            None => None,
        };
        let public_url = match file.crm.public_url {
            Some(url) => match call_control::desk_url_problem(&url) {
                Some(problem) => {
                    return Err(parse_err(format!("crm.public_url: {url:?} {problem}")));
                }
                None => Some(url.trim_end_matches('/').to_owned()),
            },
            None => None,
        };
        let crm_auth = crm_users::auth_settings(file.crm.session_lifetime_minutes, file.crm.login)
            .map_err(parse_err)?;
        let crm_users = crm_users::users(file.crm.users).map_err(parse_err)?;
        let mut seen = std::collections::HashSet::new();
        for a in &file.agents {
            if !seen.insert(a.id.clone()) {
                return Err(parse_err(format!("agent {} is listed twice", a.id)));
            }
        }
        Ok(Config {
            sip_listen: file.sip.listen,
            grpc_listen: file.crm.grpc_listen,
            http_listen: file.crm.http_listen,
            data_dir: assets_dir.join(file.store.data_dir),
            assets_dir: assets_dir.to_path_buf(),
            database_url: file.store.database_url,
            crm,
            cti_token_file: file.crm.token_file.map(|p| assets_dir.join(p)),
            catalogue: file.crm.catalogue.map(|p| assets_dir.join(p)),
            ivr_script: file.ivr.script,
            prompts_dir: file.ivr.prompts,
            crm_users,
            crm_auth,
            crm_secure_cookies: file.crm.secure_cookies,
            engine: EngineConfig {
                domain: file.sip.domain,
                media_ip: file.media.ip,
                answer_delay: Duration::from_secs_f64(file.ivr.answer_delay),
                hours_override,
                utc_offset_minutes: file.ivr.utc_offset_minutes,
                daylight_saving,
                digest_algorithms,
                registration_means_ready: file.operators.registration_means_ready,
                agents: file.agents,
                queues: file.queues,
                acd: file.acd,
                shutdown_grace: Duration::from_secs_f64(
                    file.shutdown_grace.unwrap_or(30.0).clamp(0.0, 3600.0),
                ),
                numbering_plan: file.engine.numbering_plan,
                node: file.engine.node,
                call_id_epoch: None,
                rng_seed: None,
                sip_addr: file.sip.listen,
                desk_url: public_url,
                limits: file.limits,
                rtp_ports,
            },
        })
    }

    /// The demo setup (`deploy/demo.toml` under `assets_dir`) with every listener on
    /// 127.0.0.1 and a free port, data in `data_dir`, a short shutdown grace, and cheap
    /// password hashes (the demo users' passwords are hashed at start).
    pub fn demo_for_tests(assets_dir: &Path, data_dir: &Path) -> Config {
        let mut config = Config::load(&assets_dir.join("deploy/demo.toml"), assets_dir)
            .expect("deploy/demo.toml is part of the repository and valid: config tests check it");
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        config.sip_listen = any;
        config.grpc_listen = any;
        config.http_listen = any;
        config.data_dir = data_dir.to_path_buf();
        config.engine.shutdown_grace = Duration::from_secs(2);
        config.crm_auth.hash_cost = crm::auth::HashCost::cheap_for_tests();
        config
    }

    pub(crate) fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.assets_dir.join(p)
        }
    }
}

fn sip_transaction_algorithm(name: &str) -> Option<engine::DigestAlgorithm> {
    engine::DigestAlgorithm::from_param(Some(name)).ok()
}

/// The environment variable that carries the engine's service credential.
pub const CTI_TOKEN_ENV: &str = "CENTRALINO_CTI_TOKEN";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_catalogue;
    use engine::Assets;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_shipped_demo_config_loads_with_its_operators() {
        let config = Config::load(&root().join("deploy/demo.toml"), &root()).unwrap();
        assert_eq!(config.sip_listen, "127.0.0.1:5060".parse().unwrap());
        assert_eq!(config.crm, CrmMode::Embedded);
        assert_eq!(config.engine.hours_override, Some(true));
        assert_eq!(config.engine.utc_offset_minutes, 60);
        assert_eq!(
            config.engine.daylight_saving,
            ivr::DaylightSaving::EuropeanUnion
        );
        let ids: Vec<&str> = config.engine.agents.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["1001", "1002", "1003"]);
        assert!(config.engine.registration_means_ready);
        assert_eq!(config.data_dir, root().join("data"));
        let catalogue = config
            .catalogue
            .as_deref()
            .expect("the demo has a catalogue");
        let catalogue = load_catalogue(catalogue).expect("deploy/catalogue.toml is valid");
        // Every queue of the demo IVR is where the cases of its calls are worked.
        let assets = Assets::load(
            &config.resolve(&config.ivr_script),
            &config.resolve(&config.prompts_dir),
        )
        .unwrap();
        for queue in assets.script.queues_used() {
            let level = catalogue.level_of(&queue.as_str().into());
            assert_eq!(level, Some(service_request::GroupLevel::First), "{queue}");
        }
    }

    #[test]
    fn limits_and_the_public_url_are_configured() {
        let demo = std::fs::read_to_string(root().join("deploy/demo.toml")).unwrap();
        let path = Path::new("site.toml");
        let config = Config::parse(&demo, path, &root()).unwrap();
        assert_eq!(config.engine.limits.max_calls, 2000, "defaults");
        assert_eq!(config.engine.limits.rtp_timeout, Duration::from_secs(60));
        let site = format!(
            "{demo}\n[limits]\nmax_calls = 300\nmax_call_rate = 0\nmax_call_duration = 7200\nrtp_timeout = 30\n"
        )
        .replacen(
            "\nembedded = true",
            "\nembedded = true\npublic_url = \"https://crm.example.org/\"",
            1,
        );
        let config = Config::parse(&site, path, &root()).unwrap();
        let limits = &config.engine.limits;
        assert_eq!(
            (
                limits.max_calls,
                limits.max_call_rate,
                limits.max_call_duration,
                limits.rtp_timeout
            ),
            (300, 0, Duration::from_secs(7200), Duration::from_secs(30))
        );
        assert_eq!(
            config.engine.desk_url.as_deref(),
            Some("https://crm.example.org")
        );
        let bad = site.replace("https://crm.example.org/", "javascript:alert(1)");
        let err = Config::parse(&bad, path, &root()).unwrap_err().to_string();
        assert!(err.contains("crm.public_url"), "{err}");
        let ports = demo.replacen("[media]", "[media]\nrtp_ports = [10000, 10100]", 1);
        let config = Config::parse(&ports, path, &root()).unwrap();
        assert_eq!(config.engine.rtp_ports, Some((10000, 10100)));
        let low = demo.replacen("[media]", "[media]\nrtp_ports = [80, 90]", 1);
        let err = Config::parse(&low, path, &root()).unwrap_err().to_string();
        assert!(err.contains("media.rtp_ports"), "{err}");
        let typo = format!("{demo}\n[limits]\nmax_cals = 3\n");
        let err = Config::parse(&typo, path, &root()).unwrap_err().to_string();
        assert!(err.contains("max_cals"), "{err}");
    }

    #[test]
    fn mistakes_in_the_config_are_named() {
        let demo = std::fs::read_to_string(root().join("deploy/demo.toml")).unwrap();
        let path = Path::new("site.toml");
        let typo = demo.replace("answer_delay = 0", "answer_dleay = 0");
        let err = Config::parse(&typo, path, &root()).unwrap_err().to_string();
        assert!(
            err.starts_with("site.toml: ") && err.contains("answer_dleay"),
            "{err}"
        );
        let hours = demo.replace("hours = \"always-open\"", "hours = \"sometimes\"");
        let err = Config::parse(&hours, path, &root())
            .unwrap_err()
            .to_string();
        assert!(err.contains("ivr.hours"), "{err}");
        let dst = demo.replace("daylight_saving = \"eu\"", "daylight_saving = \"us\"");
        let err = Config::parse(&dst, path, &root()).unwrap_err().to_string();
        assert!(
            err.contains("ivr.daylight_saving") && err.contains("us"),
            "{err}"
        );
        let remote = demo.replace("embedded = true", "embedded = false");
        let err = Config::parse(&remote, path, &root())
            .unwrap_err()
            .to_string();
        assert!(err.contains("crm.url"), "{err}");
        let weak = demo.replace(
            "digest_algorithms = [\"MD5\", \"SHA-256\"]",
            "digest_algorithms = [\"MD4\"]",
        );
        let err = Config::parse(&weak, path, &root()).unwrap_err().to_string();
        assert!(
            err.contains("sip.digest_algorithms") && err.contains("MD4"),
            "{err}"
        );
        let twice = format!("{demo}\n[[agents]]\nid = \"1001\"\npassword = \"x\"\n");
        let err = Config::parse(&twice, path, &root())
            .unwrap_err()
            .to_string();
        assert!(err.contains("agent 1001 is listed twice"), "{err}");
    }

    #[test]
    fn the_demo_config_has_its_staff_and_default_login_settings() {
        let config = Config::load(&root().join("deploy/demo.toml"), &root()).unwrap();
        let logins: Vec<&str> = config.crm_users.iter().map(|u| u.login.as_str()).collect();
        assert_eq!(logins, ["1001", "1002", "1003", "supervisor", "admin"]);
        let roles = |login: &str| {
            let user = config.crm_users.iter().find(|u| u.login == login).unwrap();
            user.roles.roles().collect::<Vec<_>>()
        };
        use crm_store::StaffRole;
        assert_eq!(roles("1002"), [StaffRole::Operator]);
        assert_eq!(roles("supervisor"), [StaffRole::Supervisor]);
        assert_eq!(roles("admin"), [StaffRole::Administrator]);
        assert!(matches!(
            &config.crm_users[0].password,
            crm::auth::ConfiguredPassword::Clear(p) if p.expose() == "demo1001"
        ));
        assert_eq!(
            config.crm_auth.session_lifetime,
            Duration::from_secs(8 * 3600)
        );
        assert_eq!(config.crm_auth.lockout, crm::auth::LockoutPolicy::default());
        assert_eq!(config.crm_auth.hash_cost, crm::auth::HashCost::default());
        assert!(
            !format!("{config:?}").contains("demosupervisor"),
            "Debug hides the users' passwords"
        );
    }

    #[test]
    fn users_with_a_hash_and_login_settings_parse() {
        let demo = std::fs::read_to_string(root().join("deploy/demo.toml")).unwrap();
        let hash = crm::auth::hash_password(
            &crm::auth::Password::new("a-real-password"),
            crm::auth::HashCost::cheap_for_tests(),
        )
        .unwrap();
        let admin = "password = \"demoadmin\"\n";
        let mario = format!(
            "{admin}\n[[crm.users]]\nlogin = \"mario.rossi\"\nname = \"Mario Rossi\"\n\
             roles = [\"second_level\", \"rejections\"]\ngroups = [\"hr-payroll\"]\n\
             password_hash = \"{}\"\nenabled = false\n",
            hash.as_str()
        );
        assert!(demo.contains(admin), "the demo's admin entry");
        let text = demo
            .replace(
                "session_lifetime_minutes = 480",
                "session_lifetime_minutes = 60",
            )
            .replace("lockout_seconds = 300", "lockout_seconds = 900")
            .replace(
                "max_failures_per_address = 20",
                "max_failures_per_address = 0",
            )
            .replace(admin, &mario);
        let config = Config::parse(&text, Path::new("site.toml"), &root()).unwrap();
        assert_eq!(config.crm_auth.session_lifetime, Duration::from_secs(3600));
        assert_eq!(config.crm_auth.lockout.lockout, Duration::from_secs(900));
        assert_eq!(config.crm_auth.lockout.max_failures_per_address, 0);
        let mario = config.crm_users.last().unwrap();
        assert_eq!(mario.login, "mario.rossi");
        assert!(!mario.enabled);
        assert_eq!(mario.roles.groups().collect::<Vec<_>>(), ["hr-payroll"]);
        assert_eq!(
            mario.password,
            crm::auth::ConfiguredPassword::Hash(hash.clone())
        );
    }

    #[test]
    fn mistakes_in_the_users_are_named() {
        let demo = std::fs::read_to_string(root().join("deploy/demo.toml")).unwrap();
        let path = Path::new("site.toml");
        let err = |text: String| Config::parse(&text, path, &root()).unwrap_err().to_string();
        let admin = "login = \"admin\"\nname = \"Demo Administrator\"\nroles = [\"administrator\"]\npassword = \"demoadmin\"";
        assert!(
            admin.len() > 10 && demo.contains(admin),
            "the demo's admin entry"
        );
        for (entry, expected) in [
            (
                admin.replace("administrator\"]", "root\"]"),
                "unknown role \"root\"",
            ),
            (
                admin.replace("administrator\"]", "second_level\"]"),
                "second_level role needs the groups",
            ),
            (
                format!("{admin}\npassword_hash = \"$argon2id$v=19$x\""),
                "give either password_hash or (demo only) password",
            ),
            (
                admin.replace("password = \"demoadmin\"", ""),
                "give either password_hash or (demo only) password",
            ),
            (
                admin.replace("password = \"demoadmin\"", "password_hash = \"demoadmin\""),
                "password_hash: not a PHC string",
            ),
            (
                admin.replace("password = \"demoadmin\"", "password = \"short\""),
                "at least 8",
            ),
            (
                admin.replace("login = \"admin\"", "login = \"Admin\""),
                "a login is 1 to 64",
            ),
            (
                admin.replace("login = \"admin\"", "login = \"1001\""),
                "\"1001\": listed twice",
            ),
            (format!("{admin}\nrole = \"x\""), "unknown field `role`"),
        ] {
            let message = err(demo.replace(admin, &entry));
            assert!(message.contains(expected), "{expected}: {message}");
            assert!(
                !message.contains("demoadmin"),
                "no password in errors: {message}"
            );
        }
        let message = err(demo.replace(
            "session_lifetime_minutes = 480",
            "session_lifetime_minutes = 1",
        ));
        assert!(
            message.contains("crm.session_lifetime_minutes"),
            "{message}"
        );
        let message = err(demo.replace("lockout_seconds = 300", "lockout_secs = 300"));
        assert!(message.contains("lockout_secs"), "{message}");
    }
}
