//! The IVR script language: tokenizer, parser, validator, and the compiled form the
//! interpreter runs. See `docs/ivr-scripts.md` for the operator reference.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::time::Duration;

use crate::diag::{Diagnostic, Problem, ScriptErrors, Severity};
use crate::hours::{ClosedDay, Date, PublicHolidays, Schedule, Weekday, format_minutes};

/// Default digit timeout of a menu and of PIN entry.
pub const DEFAULT_DIGIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of failures before a menu's failure action (DOMAIN: the second failure).
pub const DEFAULT_FAILURES: u8 = 2;
/// Prompt played after a wrong or missing key, unless the menu says `invalid ...`.
pub const DEFAULT_INVALID_PROMPT: &str = "invalid_choice";
/// Prompt played before recording a voicemail, unless the line says `beep ...`.
pub const DEFAULT_BEEP_PROMPT: &str = "voicemail_beep";
/// Default longest voicemail.
pub const DEFAULT_VOICEMAIL_MAX: Duration = Duration::from_secs(120);
/// Default longest PIN.
pub const DEFAULT_PIN_DIGITS: u8 = 8;

const MAX_NAME_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 200;

/// How a caller is identified: the engine performs the lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentifyMethod {
    /// By the calling number (ANI/CLI).
    Ani,
    /// By a PIN typed on the keypad.
    Pin,
}

/// A parsed, validated script, ready to be shared by many calls (`Arc<Script>`).
#[derive(Debug, Clone)]
pub struct Script {
    pub(crate) file: String,
    pub(crate) blocks: Vec<Block>,
    pub(crate) menus: Vec<Menu>,
    pub(crate) schedules: Vec<Schedule>,
    pub(crate) code: Vec<Instr>,
    pub(crate) start: usize,
    warnings: Vec<Diagnostic>,
}

#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) name: String,
    pub(crate) line: usize,
    pub(crate) menu: Option<usize>,
    /// Address of the first instruction; for a menu, its `Instr::Menu`.
    pub(crate) addr: usize,
    pub(crate) code: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Menu {
    pub(crate) name: String,
    pub(crate) line: usize,
    pub(crate) prompts: Vec<String>,
    pub(crate) invalid: Vec<String>,
    pub(crate) timeout: Duration,
    pub(crate) failures: u8,
    pub(crate) choices: Vec<Choice>,
    pub(crate) failure: Option<Range<usize>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub(crate) key: char,
    pub(crate) label: String,
    pub(crate) addr: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct IdentifySpec {
    pub(crate) method: IdentifyMethod,
    pub(crate) prompts: Vec<String>,
    pub(crate) invalid: Vec<String>,
    pub(crate) failures: u8,
    pub(crate) timeout: Duration,
    pub(crate) max_digits: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cond {
    Open(usize),
    Closed(usize),
    Identified,
    Guest,
}

#[derive(Debug, Clone)]
pub(crate) enum Instr {
    Play(Vec<String>),
    Set {
        key: String,
        value: String,
    },
    /// `block` is resolved after parsing; `usize::MAX` only in refused scripts.
    Goto {
        target: String,
        block: usize,
    },
    /// Skip to `to` when `cond` is false (`if cond -> ...`).
    Unless {
        cond: Cond,
        hours_name: Option<String>,
        to: usize,
    },
    Menu(usize),
    Identify(IdentifySpec),
    Queue(String),
    Voicemail {
        mailbox: String,
        beep: String,
        max: Duration,
    },
    Hangup,
}

impl Instr {
    fn leaves(&self) -> bool {
        matches!(
            self,
            Instr::Goto { .. } | Instr::Queue(_) | Instr::Voicemail { .. } | Instr::Hangup
        )
    }
}

impl Script {
    /// Parses and validates `text`. `file_name` is only used in diagnostics.
    ///
    /// On success the warnings are kept in [`Script::warnings`]; on failure every error found
    /// is returned, each displaying as `file:line: reason`.
    pub fn parse(file_name: &str, text: &str) -> Result<Script, ScriptErrors> {
        let mut p = Parser::new(file_name);
        for (i, raw) in text.lines().enumerate() {
            p.line(i + 1, raw);
        }
        p.finish(text.lines().count().max(1))
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// Problems that do not stop the script, sorted by line.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Every prompt the script can play (menu, invalid, PIN, beep prompts included).
    pub fn prompts_used(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for instr in &self.code {
            match instr {
                Instr::Play(p) => out.extend(p.iter().cloned()),
                Instr::Identify(spec) => {
                    out.extend(spec.prompts.iter().cloned());
                    out.extend(spec.invalid.iter().cloned());
                }
                Instr::Voicemail { beep, .. } => {
                    out.insert(beep.clone());
                }
                _ => {}
            }
        }
        for m in &self.menus {
            out.extend(m.prompts.iter().cloned());
            out.extend(m.invalid.iter().cloned());
        }
        out
    }

    /// Every queue the script can enqueue into.
    pub fn queues_used(&self) -> BTreeSet<String> {
        self.code
            .iter()
            .filter_map(|i| match i {
                Instr::Queue(q) => Some(q.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every voicemail box the script can record into.
    pub fn mailboxes_used(&self) -> BTreeSet<String> {
        self.code
            .iter()
            .filter_map(|i| match i {
                Instr::Voicemail { mailbox, .. } => Some(mailbox.clone()),
                _ => None,
            })
            .collect()
    }

    /// The weekly schedule declared as `hours NAME`.
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name() == name)
    }

    /// Names of the steps and menus, in file order.
    pub fn block_names(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().map(|b| b.name.as_str())
    }
}

// ---------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Arrow,
    Semi,
    Eq,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::Arrow => "->".into(),
            Tok::Semi => ";".into(),
            Tok::Eq => "=".into(),
        }
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self, Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }
}

/// Splits a line into tokens; `#` outside quotes starts a comment.
fn tokenize(line: &str) -> Result<Vec<Tok>, Problem> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() || c == '\u{feff}' => {
                chars.next();
            }
            '#' => break,
            '"' => {
                chars.next();
                let rest = &line[i + 1..];
                let Some(end) = rest.find('"') else {
                    return Err(Problem::UnterminatedQuote);
                };
                out.push(Tok::Quoted(rest[..end].to_string()));
                // Skip the quoted text and the closing quote.
                let stop = i + 1 + end;
                while chars.next_if(|&(j, _)| j <= stop).is_some() {}
            }
            ';' => {
                chars.next();
                out.push(Tok::Semi);
            }
            '=' => {
                chars.next();
                out.push(Tok::Eq);
            }
            '-' if line[i..].starts_with("->") => {
                chars.next();
                chars.next();
                out.push(Tok::Arrow);
            }
            _ => {
                let mut word = String::new();
                while let Some(&(j, c)) = chars.peek() {
                    if c.is_whitespace()
                        || matches!(c, '"' | ';' | '=' | '#')
                        || line[j..].starts_with("->")
                    {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Tok::Word(word));
            }
        }
    }
    Ok(out)
}

struct Cursor<'t> {
    toks: &'t [Tok],
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn new(toks: &'t [Tok]) -> Self {
        Cursor { toks, pos: 0 }
    }
    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<&'t Tok> {
        let t = self.toks.get(self.pos);
        self.pos += usize::from(t.is_some());
        t
    }
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn name(&mut self, expected: &'static str) -> Result<String, Problem> {
        match self.next() {
            Some(Tok::Word(w)) => valid_name(w),
            Some(t) => Err(Problem::Unexpected {
                expected,
                found: t.text(),
            }),
            None => Err(Problem::Missing { expected }),
        }
    }
    /// One or more names up to the end or to a token that is not a plain word.
    fn names(
        &mut self,
        expected: &'static str,
        stop_words: &[&str],
    ) -> Result<Vec<String>, Problem> {
        let mut out = vec![self.name(expected)?];
        while let Some(Tok::Word(w)) = self.peek() {
            if stop_words.iter().any(|s| w.eq_ignore_ascii_case(s)) {
                break;
            }
            out.push(self.name(expected)?);
        }
        Ok(out)
    }
    fn end(&self) -> Result<(), Problem> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(Problem::Unexpected {
                expected: "the end of the line",
                found: t.text(),
            }),
        }
    }
}

fn valid_name(w: &str) -> Result<String, Problem> {
    let ok = !w.is_empty()
        && w.len() <= MAX_NAME_LEN
        && w.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(w.to_string())
    } else {
        Err(Problem::InvalidName {
            found: w.to_string(),
        })
    }
}

fn parse_duration(
    t: Option<&Tok>,
    min: Duration,
    max: Duration,
    min_s: &'static str,
    max_s: &'static str,
) -> Result<Duration, Problem> {
    let w = match t {
        Some(Tok::Word(w)) => w,
        Some(t) => {
            return Err(Problem::Unexpected {
                expected: "a duration",
                found: t.text(),
            });
        }
        None => {
            return Err(Problem::Missing {
                expected: "a duration",
            });
        }
    };
    let bad = || Problem::InvalidDuration {
        found: w.clone(),
        min: min_s,
        max: max_s,
    };
    let digits_end = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
    let (num, unit) = w.split_at(digits_end);
    if num.is_empty() || num.len() > 6 {
        return Err(bad());
    }
    let n: u64 = num.parse().map_err(|_| bad())?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n * 60),
        _ => return Err(bad()),
    };
    if d < min || d > max {
        return Err(bad());
    }
    Ok(d)
}

fn parse_number(t: Option<&Tok>, min: u32, max: u32) -> Result<u32, Problem> {
    match t {
        Some(Tok::Word(w)) => match w.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) && w.len() <= 6 => Ok(n),
            _ => Err(Problem::InvalidNumber {
                found: w.clone(),
                min,
                max,
            }),
        },
        Some(t) => Err(Problem::Unexpected {
            expected: "a number",
            found: t.text(),
        }),
        None => Err(Problem::Missing {
            expected: "a number",
        }),
    }
}

fn parse_key(t: &Tok) -> Option<char> {
    let s = match t {
        Tok::Word(w) => w.as_str(),
        Tok::Quoted(q) => q.as_str(),
        _ => return None,
    };
    match s {
        "star" | "*" => Some('*'),
        "hash" | "#" => Some('#'),
        _ => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c @ '0'..='9'), None) => Some(c),
                _ => None,
            }
        }
    }
}

fn parse_days(w: &str) -> Option<[bool; 7]> {
    let w = w.strip_suffix(':').unwrap_or(w);
    let mut days = [false; 7];
    for part in w.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return None;
        }
        if part.eq_ignore_ascii_case("daily") {
            days = [true; 7];
            continue;
        }
        match part.split_once('-') {
            Some((a, b)) => {
                let a = Weekday::from_name(a.trim())?.index();
                let b = Weekday::from_name(b.trim())?.index();
                // Ranges may wrap around the week (`sat-mon`).
                let mut d = a;
                loop {
                    days[d] = true;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days[Weekday::from_name(part)?.index()] = true,
        }
    }
    Some(days)
}

/// `MM-DD` (every year; 02-29 is allowed) or `YYYY-MM-DD` (that date).
fn parse_closed_day(word: &str) -> Option<ClosedDay> {
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let parts: Vec<&str> = word.split('-').collect();
    match parts[..] {
        [m, d] => {
            let (month, day) = (
                u8::try_from(number(m, 2)?).ok()?,
                u8::try_from(number(d, 2)?).ok()?,
            );
            // Any leap year validates the month and day.
            Date::new(2028, month, day)?;
            Some(ClosedDay::EveryYear { month, day })
        }
        [y, m, d] => Date::new(
            i32::from(number(y, 4)?),
            u8::try_from(number(m, 2)?).ok()?,
            u8::try_from(number(d, 2)?).ok()?,
        )
        .map(ClosedDay::Once),
        _ => None,
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

// ---------------------------------------------------------------------------------------
// Parser

enum Open {
    Step {
        block: usize,
        /// The previous line always leaves: the next one is unreachable.
        left: bool,
        warned: bool,
        /// A line had an error: do not also complain that the step runs past its end.
        broken: bool,
    },
    Menu {
        block: usize,
        menu: usize,
        seen: BTreeSet<&'static str>,
        keys: HashMap<char, usize>,
    },
    Hours {
        schedule: usize,
        opened: usize,
    },
}

struct Parser {
    file: String,
    diags: Vec<Diagnostic>,
    code: Vec<Instr>,
    lines: Vec<usize>,
    blocks: Vec<Block>,
    menus: Vec<Menu>,
    schedules: Vec<(Schedule, usize)>,
    names: HashMap<String, usize>,
    hours_names: HashMap<String, usize>,
    open: Option<Open>,
}

impl Parser {
    fn new(file: &str) -> Self {
        Parser {
            file: file.to_string(),
            diags: Vec::new(),
            code: Vec::new(),
            lines: Vec::new(),
            blocks: Vec::new(),
            menus: Vec::new(),
            schedules: Vec::new(),
            names: HashMap::new(),
            hours_names: HashMap::new(),
            open: None,
        }
    }

    fn error(&mut self, line: usize, problem: Problem) {
        self.diags.push(Diagnostic {
            file: self.file.clone(),
            line,
            severity: Severity::Error,
            problem,
        });
    }

    fn warn(&mut self, line: usize, problem: Problem) {
        self.diags.push(Diagnostic {
            file: self.file.clone(),
            line,
            severity: Severity::Warning,
            problem,
        });
    }

    fn emit(&mut self, line: usize, instr: Instr) {
        self.code.push(instr);
        self.lines.push(line);
    }

    fn line(&mut self, n: usize, raw: &str) {
        let toks = match tokenize(raw) {
            Ok(t) => t,
            Err(p) => return self.error(n, p),
        };
        let Some(first) = toks.first() else { return };
        let head = match first {
            Tok::Word(w) => w.to_ascii_lowercase(),
            _ => String::new(),
        };
        match head.as_str() {
            "step" | "menu" | "hours" => {
                if let Some(open) = self.open.take() {
                    let (name, opened) = self.open_name(&open);
                    self.error(opened, Problem::MissingEnd { name, opened });
                    self.close(open, n);
                }
                self.open_block(n, &head, &toks[1..]);
            }
            "end" => {
                match self.open.take() {
                    Some(open) => self.close(open, n),
                    None => self.error(n, Problem::StrayEnd),
                }
                if let Err(p) = Cursor::new(&toks[1..]).end() {
                    self.error(n, p);
                }
            }
            _ => {
                let result = match self.open.take() {
                    None => Err(if STATEMENTS.contains(&head.as_str()) {
                        Problem::OutsideBlock { word: first.text() }
                    } else {
                        Problem::UnknownKeyword {
                            word: first.text(),
                            hint: "(expected hours, step or menu)",
                        }
                    }),
                    Some(mut open) => {
                        let r = match &mut open {
                            Open::Step {
                                left,
                                warned,
                                broken,
                                ..
                            } => {
                                if *left && !*warned {
                                    *warned = true;
                                    self.warn(n, Problem::UnreachableLine);
                                }
                                let mut cur = Cursor::new(&toks);
                                let r = self.statement(n, &mut cur, false).and_then(|leaves| {
                                    cur.end()?;
                                    *left |= leaves;
                                    Ok(())
                                });
                                *broken |= r.is_err();
                                r
                            }
                            Open::Menu {
                                menu, seen, keys, ..
                            } => {
                                let menu = *menu;
                                self.menu_line(n, menu, &toks, seen, keys)
                            }
                            Open::Hours { schedule, .. } => {
                                let schedule = *schedule;
                                self.hours_line(schedule, &toks)
                            }
                        };
                        self.open = Some(open);
                        r
                    }
                };
                if let Err(p) = result {
                    self.error(n, p);
                }
            }
        }
    }

    fn open_name(&self, open: &Open) -> (String, usize) {
        match open {
            Open::Step { block, .. } | Open::Menu { block, .. } => {
                (self.blocks[*block].name.clone(), self.blocks[*block].line)
            }
            Open::Hours { schedule, opened } => (self.schedules[*schedule].0.name.clone(), *opened),
        }
    }

    fn open_block(&mut self, n: usize, kind: &str, rest: &[Tok]) {
        let mut cur = Cursor::new(rest);
        let name = match cur.name("a name") {
            Ok(name) => {
                if let Err(p) = cur.end() {
                    self.error(n, p);
                }
                name
            }
            Err(p) => {
                self.error(n, p);
                // Keep parsing the block's body under a placeholder name, so that one bad
                // header does not turn every following line into an error.
                format!("?{n}")
            }
        };
        if kind == "hours" {
            if let Some(&first) = self.hours_names.get(&name) {
                let first = self.schedules[first].1;
                self.error(
                    n,
                    Problem::DuplicateName {
                        name: name.clone(),
                        first,
                    },
                );
            } else {
                self.hours_names.insert(name.clone(), self.schedules.len());
            }
            self.schedules.push((
                Schedule {
                    name,
                    days: Default::default(),
                    closed: Vec::new(),
                    holidays: None,
                },
                n,
            ));
            self.open = Some(Open::Hours {
                schedule: self.schedules.len() - 1,
                opened: n,
            });
            return;
        }
        if let Some(&first) = self.names.get(&name) {
            let first = self.blocks[first].line;
            self.error(
                n,
                Problem::DuplicateName {
                    name: name.clone(),
                    first,
                },
            );
        } else {
            self.names.insert(name.clone(), self.blocks.len());
        }
        let block = self.blocks.len();
        let addr = self.code.len();
        let menu = (kind == "menu").then(|| {
            self.menus.push(Menu {
                name: name.clone(),
                line: n,
                prompts: Vec::new(),
                invalid: vec![DEFAULT_INVALID_PROMPT.to_string()],
                timeout: DEFAULT_DIGIT_TIMEOUT,
                failures: DEFAULT_FAILURES,
                choices: Vec::new(),
                failure: None,
            });
            self.menus.len() - 1
        });
        if let Some(m) = menu {
            self.emit(n, Instr::Menu(m));
        }
        self.blocks.push(Block {
            name,
            line: n,
            menu,
            addr,
            code: addr..addr,
        });
        self.open = Some(match menu {
            Some(menu) => Open::Menu {
                block,
                menu,
                seen: BTreeSet::new(),
                keys: HashMap::new(),
            },
            None => Open::Step {
                block,
                left: false,
                warned: false,
                broken: false,
            },
        });
    }

    fn close(&mut self, open: Open, _end_line: usize) {
        match open {
            Open::Step {
                block,
                left,
                broken,
                ..
            } => {
                self.blocks[block].code.end = self.code.len();
                if !left && !broken {
                    let name = self.blocks[block].name.clone();
                    let line = self.blocks[block].line;
                    self.error(line, Problem::FallsOffEnd { name });
                }
            }
            Open::Menu {
                block, menu, seen, ..
            } => {
                self.blocks[block].code.end = self.code.len();
                let m = &self.menus[menu];
                let (name, line) = (m.name.clone(), m.line);
                // `seen` counts lines with errors too, so one bad line reports one error.
                let (no_prompt, no_choice, no_failure) = (
                    !seen.contains("prompt"),
                    !seen.contains("choice"),
                    !seen.contains("failure"),
                );
                if no_prompt {
                    self.error(line, Problem::MenuWithoutPrompt { name: name.clone() });
                }
                if no_choice {
                    self.error(line, Problem::MenuWithoutChoices { name: name.clone() });
                }
                if no_failure {
                    self.error(line, Problem::MenuWithoutFailure { name });
                }
            }
            Open::Hours { .. } => {}
        }
    }

    /// Parses one statement at the cursor and compiles it; returns whether it always leaves
    /// the block (goto, queue, voicemail, hangup).
    fn statement(&mut self, n: usize, cur: &mut Cursor<'_>, inline: bool) -> Result<bool, Problem> {
        let Some(first) = cur.next() else {
            return Err(Problem::Missing {
                expected: "an action",
            });
        };
        let word = match first {
            Tok::Word(w) => w.to_ascii_lowercase(),
            t => {
                return Err(Problem::Unexpected {
                    expected: "an action",
                    found: t.text(),
                });
            }
        };
        let instr = match word.as_str() {
            "play" => Instr::Play(cur.names("a prompt name", &[])?),
            "set" => {
                let key = cur.name("a field name")?;
                match cur.next() {
                    Some(Tok::Eq) => {}
                    Some(t) => {
                        return Err(Problem::Unexpected {
                            expected: "`=`",
                            found: t.text(),
                        });
                    }
                    None => return Err(Problem::Missing { expected: "`=`" }),
                }
                let value = match cur.next() {
                    Some(Tok::Word(w)) => w.clone(),
                    Some(Tok::Quoted(q)) if q.len() <= MAX_LABEL_LEN => q.clone(),
                    Some(t) => {
                        return Err(Problem::Unexpected {
                            expected: "a value",
                            found: t.text(),
                        });
                    }
                    None => {
                        return Err(Problem::Missing {
                            expected: "a value",
                        });
                    }
                };
                Instr::Set { key, value }
            }
            "goto" => Instr::Goto {
                target: cur.name("a step or menu name")?,
                block: usize::MAX,
            },
            "queue" => Instr::Queue(cur.name("a queue name")?),
            "hangup" => Instr::Hangup,
            "voicemail" => {
                let mailbox = cur.name("a mailbox name")?;
                let mut beep = DEFAULT_BEEP_PROMPT.to_string();
                let mut max = DEFAULT_VOICEMAIL_MAX;
                while let Some(t) = cur.peek() {
                    if t.is_word("beep") {
                        cur.next();
                        beep = cur.name("a prompt name")?;
                    } else if t.is_word("max") {
                        cur.next();
                        max = parse_duration(
                            cur.next(),
                            Duration::from_secs(5),
                            Duration::from_secs(600),
                            "5s",
                            "10m",
                        )?;
                    } else {
                        break;
                    }
                }
                Instr::Voicemail { mailbox, beep, max }
            }
            "identify" => Instr::Identify(self.identify(cur)?),
            "if" if inline => return Err(Problem::NestedIf),
            "if" => return self.if_statement(n, cur).map(|()| false),
            "menu" | "step" | "hours" | "end" if inline => {
                return Err(Problem::NotInline {
                    word: match word.as_str() {
                        "menu" => "menu",
                        "step" => "step",
                        "hours" => "hours",
                        _ => "end",
                    },
                });
            }
            _ => {
                return Err(Problem::UnknownKeyword {
                    word: first.text(),
                    hint: "(expected play, set, identify, if, goto, queue, voicemail or hangup)",
                });
            }
        };
        let leaves = instr.leaves();
        self.emit(n, instr);
        Ok(leaves)
    }

    fn identify(&mut self, cur: &mut Cursor<'_>) -> Result<IdentifySpec, Problem> {
        let method = match cur.next() {
            Some(t) if t.is_word("ani") => IdentifyMethod::Ani,
            Some(t) if t.is_word("pin") => IdentifyMethod::Pin,
            Some(t) => {
                return Err(Problem::Unexpected {
                    expected: "`ani` or `pin`",
                    found: t.text(),
                });
            }
            None => {
                return Err(Problem::Missing {
                    expected: "`ani` or `pin`",
                });
            }
        };
        let mut spec = IdentifySpec {
            method,
            prompts: Vec::new(),
            invalid: vec![DEFAULT_INVALID_PROMPT.to_string()],
            failures: DEFAULT_FAILURES,
            timeout: DEFAULT_DIGIT_TIMEOUT,
            max_digits: DEFAULT_PIN_DIGITS,
        };
        if method == IdentifyMethod::Ani {
            // One lookup: the calling number does not change if we ask again.
            return Ok(spec);
        }
        const OPTIONS: &[&str] = &["prompt", "invalid", "failures", "timeout", "digits"];
        while let Some(t) = cur.peek() {
            let Some(&opt) = OPTIONS.iter().find(|o| t.is_word(o)) else {
                break;
            };
            cur.next();
            match opt {
                "prompt" => spec.prompts = cur.names("a prompt name", OPTIONS)?,
                "invalid" => spec.invalid = cur.names("a prompt name", OPTIONS)?,
                "failures" => {
                    spec.failures = u8::try_from(parse_number(cur.next(), 1, 9)?)
                        .expect("parse_number bounds it to 1..=9")
                }
                "timeout" => {
                    spec.timeout = parse_duration(
                        cur.next(),
                        Duration::from_secs(1),
                        Duration::from_secs(60),
                        "1s",
                        "60s",
                    )?
                }
                _ => {
                    spec.max_digits = u8::try_from(parse_number(cur.next(), 1, 32)?)
                        .expect("parse_number bounds it to 1..=32")
                }
            }
        }
        if spec.prompts.is_empty() {
            return Err(Problem::PinWithoutPrompt);
        }
        Ok(spec)
    }

    fn if_statement(&mut self, n: usize, cur: &mut Cursor<'_>) -> Result<(), Problem> {
        let (cond, hours_name) = match cur.next() {
            Some(t) if t.is_word("open") || t.is_word("closed") => {
                let name = cur.name("an hours name")?;
                let c = if t.is_word("open") {
                    Cond::Open(usize::MAX)
                } else {
                    Cond::Closed(usize::MAX)
                };
                (c, Some(name))
            }
            Some(t) if t.is_word("identified") => (Cond::Identified, None),
            Some(t) if t.is_word("guest") => (Cond::Guest, None),
            Some(t) => {
                return Err(Problem::Unexpected {
                    expected: "`open NAME`, `closed NAME`, `identified` or `guest`",
                    found: t.text(),
                });
            }
            None => {
                return Err(Problem::Missing {
                    expected: "a condition",
                });
            }
        };
        match cur.next() {
            Some(Tok::Arrow) => {}
            Some(t) => {
                return Err(Problem::Unexpected {
                    expected: "`->`",
                    found: t.text(),
                });
            }
            None => return Err(Problem::Missing { expected: "`->`" }),
        }
        let at = self.code.len();
        self.emit(
            n,
            Instr::Unless {
                cond,
                hours_name,
                to: usize::MAX,
            },
        );
        self.actions(n, cur, false)?;
        let after = self.code.len();
        if let Some(Instr::Unless { to, .. }) = self.code.get_mut(at) {
            *to = after;
        }
        Ok(())
    }

    /// `action; action; ...` after `->`. When `must_leave`, the last must leave.
    fn actions(&mut self, n: usize, cur: &mut Cursor<'_>, must_leave: bool) -> Result<(), Problem> {
        let mut left = false;
        loop {
            if left {
                self.warn(n, Problem::UnreachableLine);
            }
            left |= self.statement(n, cur, true)?;
            match cur.next() {
                None => break,
                Some(Tok::Semi) if cur.at_end() => break,
                Some(Tok::Semi) => {}
                Some(t) => {
                    return Err(Problem::Unexpected {
                        expected: "`;` or the end of the line",
                        found: t.text(),
                    });
                }
            }
        }
        if must_leave && !left {
            return Err(Problem::ActionsDoNotLeave);
        }
        Ok(())
    }

    fn menu_line(
        &mut self,
        n: usize,
        menu: usize,
        toks: &[Tok],
        seen: &mut BTreeSet<&'static str>,
        keys: &mut HashMap<char, usize>,
    ) -> Result<(), Problem> {
        let mut cur = Cursor::new(toks);
        let first = cur
            .next()
            .expect("menu_line is called with a non-empty line");
        const SETTINGS: &[&str] = &["prompt", "invalid", "timeout", "failures", "failure"];
        if let Some(&setting) = SETTINGS.iter().find(|s| first.is_word(s)) {
            if !seen.insert(setting) {
                return Err(Problem::DuplicateSetting { setting });
            }
            match setting {
                "prompt" => self.menus[menu].prompts = cur.names("a prompt name", &[])?,
                "invalid" => self.menus[menu].invalid = cur.names("a prompt name", &[])?,
                "timeout" => {
                    self.menus[menu].timeout = parse_duration(
                        cur.next(),
                        Duration::from_secs(1),
                        Duration::from_secs(60),
                        "1s",
                        "60s",
                    )?
                }
                "failures" => {
                    self.menus[menu].failures = u8::try_from(parse_number(cur.next(), 1, 9)?)
                        .expect("parse_number bounds it to 1..=9")
                }
                _ => {
                    let start = self.code.len();
                    self.menus[menu].failure = Some(start..start);
                    expect_arrow(&mut cur)?;
                    self.actions(n, &mut cur, true)?;
                    self.menus[menu].failure = Some(start..self.code.len());
                }
            }
            return cur.end();
        }
        seen.insert("choice");
        let Some(key) = parse_key(first) else {
            return Err(match first {
                Tok::Word(w) if w.chars().all(|c| c.is_ascii_digit()) => Problem::InvalidKey {
                    found: first.text(),
                },
                _ => Problem::UnknownKeyword {
                    word: first.text(),
                    hint: "(in a menu: prompt, invalid, timeout, failures, failure or a key 0-9, star, hash)",
                },
            });
        };
        if let Some(&first_line) = keys.get(&key) {
            return Err(Problem::DuplicateKey {
                key,
                first: first_line,
            });
        }
        keys.insert(key, n);
        let mut label = Vec::new();
        loop {
            match cur.next() {
                Some(Tok::Arrow) => break,
                Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => label.push(w.clone()),
                Some(t) => {
                    return Err(Problem::Unexpected {
                        expected: "`->`",
                        found: t.text(),
                    });
                }
                None => return Err(Problem::Missing { expected: "`->`" }),
            }
        }
        let mut label = label.join(" ");
        if label.is_empty() {
            label = key.to_string();
        }
        truncate_chars(&mut label, MAX_LABEL_LEN);
        let addr = self.code.len();
        self.menus[menu].choices.push(Choice { key, label, addr });
        self.actions(n, &mut cur, true)
    }

    fn hours_line(&mut self, schedule: usize, toks: &[Tok]) -> Result<(), Problem> {
        if toks[0].is_word("closed") || toks[0].is_word("holidays") {
            return self.closed_days_line(schedule, toks);
        }
        let mut words = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) => words.push(w.as_str()),
                t => {
                    return Err(Problem::Unexpected {
                        expected: "days and times",
                        found: t.text(),
                    });
                }
            }
        }
        // Tolerate `08:30 - 17:30` and `mon - fri`.
        let line = words.join(" ").replace(" -", "-").replace("- ", "-");
        let mut parts = line.split_whitespace();
        let days_word = parts.next().unwrap_or_default();
        let Some(days) = parse_days(days_word) else {
            return Err(if days_word.chars().all(|c| c.is_ascii_alphabetic()) {
                Problem::UnknownKeyword {
                    word: days_word.to_string(),
                    hint: "(in hours: days like `mon-fri` followed by times like `08:30-17:30`)",
                }
            } else {
                Problem::InvalidDays {
                    found: days_word.to_string(),
                }
            });
        };
        let mut ranges = Vec::new();
        for r in parts.flat_map(|p| p.split(',')).filter(|p| !p.is_empty()) {
            let bad = || Problem::InvalidTimeRange {
                found: r.to_string(),
            };
            let (a, b) = r.split_once('-').ok_or_else(bad)?;
            let (open, close) = (
                parse_hhmm(a).ok_or_else(bad)?,
                parse_hhmm(b).ok_or_else(bad)?,
            );
            if open >= close {
                return Err(Problem::EmptyTimeRange {
                    open: format_minutes(open),
                    close: format_minutes(close),
                });
            }
            ranges.push((open, close));
        }
        if ranges.is_empty() {
            return Err(Problem::Missing {
                expected: "opening times like `08:30-17:30`",
            });
        }
        let sched = &mut self.schedules[schedule].0;
        for day in Weekday::ALL {
            if !days[day.index()] {
                continue;
            }
            for &(open, close) in &ranges {
                let existing = &mut sched.days[day.index()];
                if let Some(&(o, c)) = existing.iter().find(|&&(o, c)| open < c && o < close) {
                    return Err(Problem::OverlappingRanges {
                        first: format!("{}-{}", format_minutes(o), format_minutes(c)),
                        second: format!("{}-{}", format_minutes(open), format_minutes(close)),
                        day: day.name(),
                    });
                }
                existing.push((open, close));
                existing.sort_unstable();
            }
        }
        Ok(())
    }

    /// `closed 12-25, 2026-12-24` (days closed all day) or `holidays it` (a country's
    /// public holidays).
    fn closed_days_line(&mut self, schedule: usize, toks: &[Tok]) -> Result<(), Problem> {
        let mut words = Vec::new();
        for t in &toks[1..] {
            match t {
                Tok::Word(w) => words.extend(w.split(',').filter(|w| !w.is_empty())),
                t => {
                    return Err(Problem::Unexpected {
                        expected: "dates",
                        found: t.text(),
                    });
                }
            }
        }
        let sched = &mut self.schedules[schedule].0;
        if toks[0].is_word("holidays") {
            let [code] = words[..] else {
                return Err(Problem::Missing {
                    expected: "one country code, like `holidays it`",
                });
            };
            let calendar =
                PublicHolidays::from_code(code).ok_or_else(|| Problem::UnknownHolidays {
                    code: code.to_string(),
                })?;
            sched.holidays = Some(calendar);
            return Ok(());
        }
        if words.is_empty() {
            return Err(Problem::Missing {
                expected: "dates like `12-25` (every year) or `2026-12-24` (that day)",
            });
        }
        for word in words {
            let day = parse_closed_day(word).ok_or_else(|| Problem::InvalidClosedDay {
                found: word.to_string(),
            })?;
            if !sched.closed.contains(&day) {
                sched.closed.push(day);
            }
        }
        Ok(())
    }

    fn finish(mut self, last_line: usize) -> Result<Script, ScriptErrors> {
        if let Some(open) = self.open.take() {
            let (name, opened) = self.open_name(&open);
            self.error(opened, Problem::MissingEnd { name, opened });
            self.close(open, last_line);
        }
        // Resolve goto targets and hours names.
        let mut hours_used = vec![false; self.schedules.len()];
        for i in 0..self.code.len() {
            let line = self.lines[i];
            match &mut self.code[i] {
                Instr::Goto { target, block } => match self.names.get(target.as_str()) {
                    Some(&b) => *block = b,
                    None => {
                        let target = target.clone();
                        self.error(line, Problem::UndefinedTarget { target });
                    }
                },
                Instr::Unless {
                    cond: cond @ (Cond::Open(_) | Cond::Closed(_)),
                    hours_name: Some(name),
                    ..
                } => match self.hours_names.get(name.as_str()) {
                    Some(&h) => {
                        hours_used[h] = true;
                        *cond = match cond {
                            Cond::Open(_) => Cond::Open(h),
                            _ => Cond::Closed(h),
                        };
                    }
                    None => {
                        let name = name.clone();
                        self.error(line, Problem::UndefinedHours { name });
                    }
                },
                _ => {}
            }
        }
        for (i, used) in hours_used.iter().enumerate() {
            if !used {
                let (s, line) = &self.schedules[i];
                let name = s.name.clone();
                let line = *line;
                self.warn(line, Problem::UnusedHours { name });
            }
        }
        let start = self.names.get("start").copied();
        if start.is_none() {
            self.error(1, Problem::MissingStart);
        }
        let has_errors = self.diags.iter().any(|d| d.severity == Severity::Error);
        if !has_errors && let Some(start) = start {
            self.check_graph(start);
        }
        let (mut errors, mut warnings): (Vec<_>, Vec<_>) = self
            .diags
            .into_iter()
            .partition(|d| d.severity == Severity::Error);
        errors.sort_by_key(|d| d.line);
        warnings.sort_by_key(|d| d.line);
        match start {
            Some(start) if errors.is_empty() => Ok(Script {
                file: self.file,
                blocks: self.blocks,
                menus: self.menus,
                schedules: self.schedules.into_iter().map(|(s, _)| s).collect(),
                code: self.code,
                start,
                warnings,
            }),
            _ => Err(ScriptErrors {
                file: self.file,
                errors,
                warnings,
            }),
        }
    }

    fn gotos(&self, range: Range<usize>) -> impl Iterator<Item = usize> + '_ {
        self.code[range].iter().filter_map(|i| match i {
            Instr::Goto { block, .. } if *block != usize::MAX => Some(*block),
            _ => None,
        })
    }

    /// Edges a call follows without any key from the caller: the gotos of a step, and of a
    /// menu's failure action (reached by timeouts alone).
    fn silent_edges(&self, b: usize) -> Vec<usize> {
        let block = &self.blocks[b];
        match block.menu {
            None => self.gotos(block.code.clone()).collect(),
            Some(m) => match &self.menus[m].failure {
                Some(r) => self.gotos(r.clone()).collect(),
                None => Vec::new(),
            },
        }
    }

    /// Whole-script checks on a script without errors: silent loops, unreachable blocks,
    /// sub-menus that hang up on failure.
    fn check_graph(&mut self, start: usize) {
        // Reachability over every edge.
        let mut reached = vec![false; self.blocks.len()];
        let mut stack = vec![start];
        while let Some(b) = stack.pop() {
            if std::mem::replace(&mut reached[b], true) {
                continue;
            }
            stack.extend(self.gotos(self.blocks[b].code.clone()));
        }
        for (b, r) in reached.iter().enumerate() {
            if !r {
                let name = self.blocks[b].name.clone();
                let line = self.blocks[b].line;
                self.warn(line, Problem::UnreachableBlock { name });
            }
        }

        // Cycles over silent edges: iterative DFS with colours.
        let edges: Vec<Vec<usize>> = (0..self.blocks.len())
            .map(|b| self.silent_edges(b))
            .collect();
        let mut colour = vec![0u8; self.blocks.len()]; // 0 new, 1 on stack, 2 done
        let mut loops = Vec::new();
        for root in 0..self.blocks.len() {
            if colour[root] != 0 {
                continue;
            }
            let mut path: Vec<(usize, usize)> = vec![(root, 0)];
            colour[root] = 1;
            while let Some(&mut (b, ref mut i)) = path.last_mut() {
                if let Some(&next) = edges[b].get(*i) {
                    *i += 1;
                    match colour[next] {
                        0 => {
                            colour[next] = 1;
                            path.push((next, 0));
                        }
                        1 => {
                            let from = path.iter().position(|&(x, _)| x == next).unwrap_or(0);
                            let mut names: Vec<&str> = path[from..]
                                .iter()
                                .map(|&(x, _)| self.blocks[x].name.as_str())
                                .collect();
                            names.push(self.blocks[next].name.as_str());
                            loops.push((self.blocks[next].line, names.join(" -> ")));
                        }
                        _ => {}
                    }
                } else {
                    colour[b] = 2;
                    path.pop();
                }
            }
        }
        for (line, path) in loops {
            self.error(line, Problem::SilentLoop { path });
        }

        // Sub-menus: menus reached from another menu's choices, through steps.
        let mut sub = vec![false; self.blocks.len()];
        for m in &self.menus {
            let own = self.names.get(&m.name).copied();
            let mut stack: Vec<usize> = m
                .choices
                .iter()
                .flat_map(|c| {
                    let end = self.code[c.addr..]
                        .iter()
                        .position(Instr::leaves)
                        .map_or(self.code.len(), |p| c.addr + p + 1);
                    self.gotos(c.addr..end).collect::<Vec<_>>()
                })
                .collect();
            let mut seen = vec![false; self.blocks.len()];
            while let Some(b) = stack.pop() {
                if std::mem::replace(&mut seen[b], true) {
                    continue;
                }
                if self.blocks[b].menu.is_some() {
                    // A menu reached from its own choices ("press star to repeat") is not a
                    // sub-menu of itself.
                    sub[b] |= Some(b) != own;
                } else {
                    stack.extend(self.gotos(self.blocks[b].code.clone()));
                }
            }
        }
        for (b, is_sub) in sub.iter().enumerate() {
            let Some(m) = self.blocks[b].menu.filter(|_| *is_sub) else {
                continue;
            };
            let menu = &self.menus[m];
            let hangs_up = menu.failure.as_ref().is_some_and(|r| {
                self.code[r.clone()]
                    .iter()
                    .any(|i| matches!(i, Instr::Hangup))
            });
            if hangs_up {
                let name = menu.name.clone();
                let line = menu.line;
                self.warn(line, Problem::SubMenuFailureHangsUp { name });
            }
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn truncate_chars(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

fn expect_arrow(cur: &mut Cursor<'_>) -> Result<(), Problem> {
    match cur.next() {
        Some(Tok::Arrow) => Ok(()),
        Some(t) => Err(Problem::Unexpected {
            expected: "`->`",
            found: t.text(),
        }),
        None => Err(Problem::Missing { expected: "`->`" }),
    }
}

const STATEMENTS: &[&str] = &[
    "play",
    "set",
    "identify",
    "if",
    "goto",
    "queue",
    "voicemail",
    "hangup",
    "prompt",
    "invalid",
    "timeout",
    "failures",
    "failure",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_splits_arrows_semicolons_and_comments() {
        let toks = tokenize(r#"1 "Personnel services"->set a=b;goto x # comment"#).unwrap();
        assert_eq!(
            toks,
            vec![
                Tok::Word("1".into()),
                Tok::Quoted("Personnel services".into()),
                Tok::Arrow,
                Tok::Word("set".into()),
                Tok::Word("a".into()),
                Tok::Eq,
                Tok::Word("b".into()),
                Tok::Semi,
                Tok::Word("goto".into()),
                Tok::Word("x".into()),
            ]
        );
        assert_eq!(tokenize("  # only a comment").unwrap(), vec![]);
        assert_eq!(tokenize(r##""#""##).unwrap(), vec![Tok::Quoted("#".into())]);
        assert_eq!(tokenize(r#"play "oops"#), Err(Problem::UnterminatedQuote));
        assert_eq!(
            tokenize("mon-fri 08:30-17:30").unwrap(),
            vec![Tok::Word("mon-fri".into()), Tok::Word("08:30-17:30".into())]
        );
    }

    #[test]
    fn times_and_days() {
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("8:3"), None);
        assert_eq!(parse_hhmm("12:60"), None);
        assert_eq!(parse_hhmm("-1:00"), None);
        assert_eq!(
            parse_days("mon-fri"),
            Some([true, true, true, true, true, false, false])
        );
        assert_eq!(
            parse_days("sat-mon"),
            Some([true, false, false, false, false, true, true])
        );
        assert_eq!(
            parse_days("mon,wed:"),
            Some([true, false, true, false, false, false, false])
        );
        assert_eq!(parse_days("mon-funday"), None);
        assert_eq!(parse_days("mon,,tue"), None);
    }

    #[test]
    fn keys_and_durations() {
        assert_eq!(parse_key(&Tok::Word("7".into())), Some('7'));
        assert_eq!(parse_key(&Tok::Word("star".into())), Some('*'));
        assert_eq!(parse_key(&Tok::Quoted("#".into())), Some('#'));
        assert_eq!(parse_key(&Tok::Word("12".into())), None);
        let d = |s: &str| {
            parse_duration(
                Some(&Tok::Word(s.into())),
                Duration::from_secs(1),
                Duration::from_secs(60),
                "1s",
                "60s",
            )
        };
        assert_eq!(d("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(d("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(d("1m"), Ok(Duration::from_secs(60)));
        assert!(d("2m").is_err());
        assert!(d("5").is_err());
        assert!(d("99999999999999999999s").is_err());
    }
}
