//! Rollout day: where each phone stands, as a live table on a terminal while a listening window is open
//! and as a funnel summary once it ends (`42 phones: 38 registered, 2 file 404, 1 REGISTER 403, 1 no
//! answer`).
//!
//! The pure part — [`standing`], [`funnel`] and [`frame`] — is a function of the phones' stages and the
//! clock, and is snapshot-tested. The thin part, [`LiveTable`], folds the streamed events into phones
//! and redraws the frame in place: only when stdout is a terminal that moves its cursor (`TERM` not
//! `dumb`), with two ANSI controls (cursor up, erase below) written as they are; the frame's colours
//! follow the same choice as every other stream (`--color`, `NO_COLOR`). Piped, nothing here runs and
//! the stream stays a line per event.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::text::{BAD, CAUTION, DIM, GOOD, HEADING, count, paint};
use crate::observed::{ListenEvent, Phone, Stage, StageKind, StageResult, WindowEnd};

/// How a phone's standing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Registered, or its file fetched where the registrar is not visible.
    Good,
    /// Stopped at a failure.
    Bad,
    /// Under way.
    Moving,
    /// Gone where this host cannot see (another server answered it, its file is elsewhere).
    Unseen,
}

/// Where a phone stands: how it reads, and its words (the live table's STAGE, the summary's group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub tone: Tone,
    pub words: String,
}

impl Standing {
    fn new(tone: Tone, words: impl Into<String>) -> Self {
        Self { tone, words: words.into() }
    }
}

/// Where `phone` stands: the first failure is where it stopped; else its last stage says how far it
/// got.
#[must_use]
pub fn standing(phone: &Phone) -> Standing {
    if let Some(stage) =
        phone.stages.iter().find(|s| matches!(s.result, StageResult::Failed | StageResult::NotSeen))
    {
        return Standing::new(Tone::Bad, stopped(stage));
    }
    let Some(last) = phone.stages.last() else {
        // No capture: the SUBSCRIBE is all this host saw.
        return Standing::new(Tone::Unseen, "heard");
    };
    match (last.stage, last.result) {
        (StageKind::RegisterAnswer, StageResult::Ok) => Standing::new(Tone::Good, "registered"),
        (StageKind::RegisterAnswer, _) => Standing::new(Tone::Moving, "REGISTER unanswered"),
        (StageKind::Register, StageResult::NotVisible) => {
            Standing::new(Tone::Good, "file fetched, REGISTER not visible")
        }
        (StageKind::FileRequest, StageResult::NotVisible) => {
            Standing::new(Tone::Unseen, "file on another host")
        }
        (StageKind::FileRequest, StageResult::Unfinished) => {
            Standing::new(Tone::Moving, "file not asked yet")
        }
        (StageKind::FileAnswer, StageResult::Unfinished) => Standing::new(Tone::Moving, "file unfinished"),
        (StageKind::Answer, StageResult::NotVisible) => Standing::new(Tone::Unseen, "no answer"),
        (StageKind::Answer, _) => Standing::new(Tone::Moving, status_words("answer", last)),
        (StageKind::FileAnswer, _) => Standing::new(Tone::Moving, file_words(last)),
        (kind, _) => Standing::new(Tone::Moving, kind.label()),
    }
}

fn status_words(what: &str, stage: &Stage) -> String {
    stage.status.map_or_else(|| format!("{what} failed"), |status| format!("{what} {status}"))
}

fn file_words(stage: &Stage) -> String {
    match (stage.protocol.as_deref(), stage.status) {
        (Some("tftp"), Some(code)) if stage.result != StageResult::Ok => format!("file TFTP error {code}"),
        (Some("tftp"), _) => "file TFTP".to_owned(),
        (Some("https"), _) if stage.result == StageResult::Ok => "file TLS done".to_owned(),
        (Some("https"), _) => "file TLS failed".to_owned(),
        (Some("tcp"), _) => "file server unreachable".to_owned(),
        _ => status_words("file", stage),
    }
}

/// The words of the stage a phone stopped at.
fn stopped(stage: &Stage) -> String {
    match stage.stage {
        StageKind::Answer => status_words("answer", stage),
        StageKind::Notify => "NOTIFY without URL".to_owned(),
        StageKind::FileRequest => "file never asked".to_owned(),
        StageKind::FileAnswer => file_words(stage),
        StageKind::Register | StageKind::RegisterAnswer => status_words("REGISTER", stage),
        other => format!("{} failed", other.label()),
    }
}

/// The phones grouped by standing, registered first, then the biggest group first (ties in the order
/// first seen): `[("registered", 38), ("file 404", 2), …]`.
#[must_use]
pub fn funnel(phones: &[Phone]) -> Vec<(Standing, usize)> {
    let mut groups: Vec<(Standing, usize)> = Vec::new();
    for phone in phones {
        let standing = standing(phone);
        match groups.iter_mut().find(|(s, _)| *s == standing) {
            Some((_, n)) => *n += 1,
            None => groups.push((standing, 1)),
        }
    }
    // Stable: equal counts keep the order first seen.
    groups.sort_by_key(|(s, n)| (s.words != "registered", std::cmp::Reverse(*n)));
    groups
}

/// The funnel in a line: `42 phones: 38 registered, 2 file 404, 1 REGISTER 403, 1 no answer`.
#[must_use]
pub fn funnel_line(phones: &[Phone]) -> String {
    let groups: Vec<String> = funnel(phones).iter().map(|(s, n)| format!("{n} {}", s.words)).collect();
    format!("{}: {}", count(phones.len() as u64, "phone", "phones"), groups.join(", "))
}

/// What a frame shows.
#[derive(Debug, Clone, Copy)]
pub struct FrameInput<'a> {
    pub interface: &'a str,
    pub phones: &'a [Phone],
    /// Milliseconds since the window opened.
    pub now_ms: u64,
    /// Seconds left while the window is open; `None` once it ended.
    pub remaining_secs: Option<u64>,
    /// Why the window ended, once it did.
    pub ended_by: Option<WindowEnd>,
    /// The terminal's columns and rows.
    pub width: usize,
    pub height: usize,
}

/// The columns, in the order they are dropped when the terminal is narrow (the last first).
const COLUMNS: [(&str, usize); 6] =
    [("MAC", 17), ("STAGE", 34), ("TIME", 6), ("IP", 15), ("VENDOR", 10), ("MODEL", 12)];
/// The narrowest the STAGE column gets before columns are dropped.
const STAGE_AT_LEAST: usize = 14;
/// The order they are shown in.
const SHOWN: [&str; 6] = ["MAC", "VENDOR", "MODEL", "IP", "STAGE", "TIME"];

/// One frame of the live table: a header with the countdown and the counts, a row per phone (as many
/// as the terminal holds: those stopped or under way first, then the most recent; a `+N more` line for
/// the rest), each line at most `width` characters. Styled; the writer strips the styles when colour
/// is off.
#[must_use]
pub fn frame(input: &FrameInput<'_>) -> Vec<String> {
    let FrameInput { interface, phones, now_ms, remaining_secs, ended_by, width, height } = *input;
    let width = width.max(1);
    let mut lines =
        vec![paint(HEADING, &clip(&header(interface, phones, now_ms, (remaining_secs, ended_by)), width))];
    if height < 5 {
        // No room for rows under their titles: the header alone, which cannot scroll.
        return lines;
    }
    if phones.is_empty() {
        lines.push(paint(DIM, &clip("no phone heard yet: reboot the phones now", width)));
        return lines;
    }
    // Room for the header, the column titles, a `+N more` line, and the line the cursor rests on.
    let room = height.saturating_sub(4).max(1);
    let shown = chosen(phones, now_ms, room);
    let rows: Vec<(&Phone, Standing, String)> = shown
        .iter()
        .filter_map(|&i| phones.get(i))
        .map(|phone| {
            let mut standing = standing(phone);
            if standing.tone == Tone::Moving && phone.settled(now_ms) {
                // Nothing new for a while: it went where this host cannot see, or stalled.
                standing = Standing::new(Tone::Unseen, format!("{}, then quiet", standing.words));
            }
            (phone, standing, elapsed(phone, now_ms))
        })
        .collect();
    let columns = fitting(width);
    let cell = |name: &str, phone: &Phone, standing: &Standing, time: &str| -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match name {
            "MAC" => phone.mac.clone().unwrap_or_else(|| "(no MAC)".to_owned()),
            "VENDOR" => text(&phone.vendor),
            "MODEL" => text(&phone.model),
            "IP" => phone.source.ip().to_string(),
            "STAGE" => standing.words.clone(),
            _ => time.to_owned(),
        }
    };
    let mut widths: Vec<(&str, usize)> = columns
        .iter()
        .map(|&(name, cap)| {
            let widest = rows.iter().map(|(p, s, t)| cell(name, p, s, t).chars().count()).max().unwrap_or(0);
            (name, widest.max(name.len()).min(cap))
        })
        .collect();
    // Too wide: the STAGE column gives way (its text is cut with `…`).
    let total = widths.iter().map(|(_, w)| w + 2).sum::<usize>().saturating_sub(2);
    if let Some((_, stage)) = widths.iter_mut().find(|(name, _)| *name == "STAGE") {
        *stage = stage.saturating_sub(total.saturating_sub(width)).max(STAGE_AT_LEAST.min(*stage));
    }
    let line = |cells: Vec<(String, anstyle::Style)>| -> String {
        let mut out = String::new();
        let mut used = 0;
        for (i, ((text, style), (_, w))) in cells.iter().zip(&widths).enumerate() {
            let last = i + 1 == widths.len();
            let text = clip(text, if last { width.saturating_sub(used) } else { *w });
            let pad = if last { 0 } else { w - text.chars().count() + 2 };
            used += text.chars().count() + pad;
            let _ = write!(out, "{}{}", paint(*style, &text), " ".repeat(pad));
        }
        out.trim_end().to_owned()
    };
    lines.push(line(widths.iter().map(|(name, _)| ((*name).to_owned(), HEADING)).collect()));
    for (phone, standing, time) in &rows {
        let style = match standing.tone {
            Tone::Good => GOOD,
            Tone::Bad => BAD,
            Tone::Moving => CAUTION,
            Tone::Unseen => DIM,
        };
        let cells = widths
            .iter()
            .map(|(name, _)| {
                let style = if *name == "STAGE" { style } else { anstyle::Style::new() };
                (cell(name, phone, standing, time), style)
            })
            .collect();
        lines.push(line(cells));
    }
    let hidden = phones.len() - rows.len();
    if hidden > 0 {
        let hidden_done = (0..phones.len())
            .filter(|i| !shown.contains(i))
            .filter_map(|i| phones.get(i))
            .filter(|p| p.settled(now_ms))
            .count();
        let more = format!("+{hidden} more ({hidden_done} done)");
        lines.push(paint(DIM, &clip(&more, width)));
    }
    // A line wider than the terminal would wrap and the redraw would lose count: cut it (its colours
    // go with it).
    lines
        .into_iter()
        .map(|line| {
            let plain = anstream::adapter::strip_str(&line).to_string();
            if plain.chars().count() > width { clip(&plain, width) } else { line }
        })
        .collect()
}

/// The frame's first line: `eth0: 48 s left, 12.0 s in — 8 phones, 6 done`.
fn header(
    interface: &str,
    phones: &[Phone],
    now_ms: u64,
    ending: (Option<u64>, Option<WindowEnd>),
) -> String {
    let done = phones.iter().filter(|p| p.settled(now_ms)).count();
    let when = match ending {
        (Some(left), _) => format!("{left} s left"),
        (None, Some(WindowEnd::Until)) => "ended: --until met".to_owned(),
        (None, Some(WindowEnd::UntilAll)) => "ended: --until-all met".to_owned(),
        (None, Some(WindowEnd::Interrupted)) => "interrupted".to_owned(),
        (None, _) => "ended".to_owned(),
    };
    format!(
        "{interface}: {when}, {:.1} s in — {}, {done} done",
        Duration::from_millis(now_ms).as_secs_f64(),
        count(phones.len() as u64, "phone", "phones")
    )
}

/// The phones a frame of `room` rows shows, in the order heard: those stopped at a failure and those
/// under way first, then the most recently active.
fn chosen(phones: &[Phone], now_ms: u64, room: usize) -> Vec<usize> {
    if phones.len() <= room {
        return (0..phones.len()).collect();
    }
    let mut ranked: Vec<(u8, std::cmp::Reverse<u64>, usize)> = phones
        .iter()
        .enumerate()
        .map(|(i, phone)| {
            let tier = match (standing(phone).tone, phone.settled(now_ms)) {
                (Tone::Bad, _) => 0,
                (_, false) => 1,
                _ => 2,
            };
            let last = phone.stages.iter().filter_map(|s| s.at_ms).max().unwrap_or(0);
            (tier, std::cmp::Reverse(last), i)
        })
        .collect();
    ranked.sort_unstable();
    // One row goes to the `+N more` line.
    let mut shown: Vec<usize> = ranked.iter().take(room.saturating_sub(1).max(1)).map(|r| r.2).collect();
    shown.sort_unstable();
    shown
}

/// How long the phone has taken: from its first stage to its last once done, else to now.
fn elapsed(phone: &Phone, now_ms: u64) -> String {
    let times = || phone.stages.iter().filter_map(|s| s.at_ms);
    let Some(first) = times().min() else { return String::new() };
    let end = if phone.settled(now_ms) { times().max().unwrap_or(first) } else { now_ms };
    format!("{:.1}s", Duration::from_millis(end.saturating_sub(first)).as_secs_f64())
}

/// The columns that fit `width`, in the order shown: the least needed go first.
fn fitting(width: usize) -> Vec<(&'static str, usize)> {
    let mut kept = COLUMNS.len();
    let least = |(name, w): &(&str, usize)| if *name == "STAGE" { STAGE_AT_LEAST } else { *w } + 2;
    while kept > 2 && COLUMNS[..kept].iter().map(least).sum::<usize>() > width + 2 {
        kept -= 1;
    }
    let kept = &COLUMNS[..kept];
    SHOWN.iter().filter_map(|name| kept.iter().find(|(n, _)| n == name).copied()).collect()
}

/// `text` cut to `width` characters, with `…` where it was cut.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// The live table on a terminal: folds the streamed events into phones and redraws the frame in place.
#[derive(Debug)]
pub struct LiveTable {
    state: Mutex<Board>,
    /// The terminal's columns and rows, asked at each redraw (it may be resized).
    size: fn() -> Option<(usize, usize)>,
    /// Keep the frame's colours (else they are stripped).
    colour: bool,
}

#[derive(Debug)]
struct Board {
    interface: String,
    start: Instant,
    phones: Vec<Phone>,
    by_key: HashMap<String, usize>,
    remaining_secs: Option<u64>,
    /// Lines of the frame on screen, to move back over.
    drawn: usize,
    last_draw: Option<Instant>,
}

/// Phones the table keeps at most, as the tally does.
const MAX_PHONES: usize = 65_536;
/// Redraws at most this often (ticks redraw anyway, once a second).
const REDRAW_EVERY_MS: u128 = 100;

impl LiveTable {
    /// A live table when stdout is a terminal that moves its cursor (`TERM` not `dumb`); `None`
    /// otherwise, and the stream stays a line per event.
    #[must_use]
    pub fn new(interface: &str, start: Instant, size: fn() -> Option<(usize, usize)>) -> Option<Self> {
        let stdout = std::io::stdout();
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if !stdout.is_terminal() || dumb {
            return None;
        }
        let colour = anstream::AutoStream::choice(&stdout) == anstream::ColorChoice::AlwaysAnsi;
        let board = Board {
            interface: interface.to_owned(),
            start,
            phones: Vec::new(),
            by_key: HashMap::new(),
            remaining_secs: None,
            drawn: 0,
            last_draw: None,
        };
        Some(Self { state: Mutex::new(board), size, colour })
    }

    /// Takes a streamed event: phones and their stages change the table, a tick its countdown.
    pub fn event(&self, event: &ListenEvent) {
        let Ok(mut board) = self.state.lock() else { return };
        let forced = match event {
            ListenEvent::Phone { phone } => {
                let key = phone.mac.clone().unwrap_or_else(|| phone.source.to_string());
                if !board.by_key.contains_key(&key) && board.phones.len() < MAX_PHONES {
                    let index = board.phones.len();
                    board.by_key.insert(key, index);
                    board.phones.push(phone.clone());
                }
                false
            }
            ListenEvent::Stage { phone, stage } => {
                if let Some(&index) = board.by_key.get(phone)
                    && let Some(phone) = board.phones.get_mut(index)
                {
                    phone.stages.push(stage.clone());
                }
                false
            }
            ListenEvent::Tick { remaining_secs, .. } => {
                board.remaining_secs = Some(*remaining_secs);
                true
            }
            _ => return,
        };
        let due = board.last_draw.is_none_or(|at| at.elapsed().as_millis() >= REDRAW_EVERY_MS);
        if forced || due {
            self.draw(&mut board, None, "");
        }
    }

    /// Prints `line` above the table (a limit, a warning) and redraws the table under it.
    pub fn above(&self, line: &str) {
        let Ok(mut board) = self.state.lock() else { return };
        self.draw(&mut board, None, line);
    }

    /// The last frame, from the report's phones (with what was said at the window's end), left on
    /// screen above the document.
    pub fn finish(&self, phones: &[Phone], lasted_secs: f64, ended_by: Option<WindowEnd>) {
        let Ok(mut board) = self.state.lock() else { return };
        board.phones = phones.to_vec();
        board.remaining_secs = None;
        let lasted = Duration::try_from_secs_f64(lasted_secs).unwrap_or_default();
        let now_ms = u64::try_from(lasted.as_millis()).unwrap_or(u64::MAX);
        self.draw(&mut board, Some((now_ms, ended_by)), "");
        board.drawn = 0;
        // A blank line between the last frame and the document under it.
        let _ = std::io::stdout().lock().write_all(b"\n");
    }

    fn draw(&self, board: &mut Board, ended: Option<(u64, Option<WindowEnd>)>, above: &str) {
        let (width, height) = (self.size)().unwrap_or((80, 24));
        let now_ms = ended.map_or_else(
            || u64::try_from(board.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            |(at, _)| at,
        );
        let lines = frame(&FrameInput {
            interface: &board.interface,
            phones: &board.phones,
            now_ms,
            remaining_secs: board.remaining_secs.filter(|_| ended.is_none()),
            ended_by: ended.and_then(|(_, e)| e),
            width: width.saturating_sub(1),
            height,
        });
        let mut out = String::new();
        if board.drawn > 0 {
            // Back to the frame's first line, and erase it and all below.
            let _ = write!(out, "\r\x1b[{}A\x1b[J", board.drawn);
        }
        if !above.is_empty() {
            out.push_str(above);
            if !above.ends_with('\n') {
                out.push('\n');
            }
        }
        for line in &lines {
            out.push_str(line);
            out.push('\n');
        }
        if !self.colour {
            out = anstream::adapter::strip_str(&out).to_string();
            if board.drawn > 0 {
                // The controls were stripped with the colours: put them back in front.
                out = format!("\r\x1b[{}A\x1b[J{out}", board.drawn);
            }
        }
        let mut stdout = std::io::stdout().lock();
        // A closed terminal is the watcher's choice; the observation carries on.
        let _ = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush());
        board.drawn = lines.len();
        board.last_draw = Some(Instant::now());
    }
}

/// What a listening window shows while it runs: the live table on a terminal; else the streamed lines
/// and, on a terminal's stderr, the progress line.
pub struct Watch<'a> {
    sink: super::stream::EventSink,
    live: Option<LiveTable>,
    /// Every event as a line (`listen`), or only the phones' stages (`check`).
    every_event: bool,
    /// The progress line's text from the seconds left and the phones heard.
    progress: Box<dyn Fn(u64, usize) -> String + Send + Sync + 'a>,
}

impl std::fmt::Debug for Watch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").field("live", &self.live.is_some()).finish_non_exhaustive()
    }
}

impl<'a> Watch<'a> {
    /// `live` is the table when a terminal watches the text (see [`LiveTable::new`]).
    #[must_use]
    pub fn new(
        sink: super::stream::EventSink,
        live: Option<LiveTable>,
        every_event: bool,
        progress: impl Fn(u64, usize) -> String + Send + Sync + 'a,
    ) -> Self {
        Self { sink, live, every_event, progress: Box::new(progress) }
    }

    /// For a window on `interface` printing `format`: the live table when the text (not `quiet`) goes
    /// to a terminal, else the streamed lines (none in JSON and Markdown: one document at the end).
    #[must_use]
    pub fn open(
        (format, quiet): (super::Format, bool),
        interface: &str,
        size: fn() -> Option<(usize, usize)>,
        every_event: bool,
        progress: impl Fn(u64, usize) -> String + Send + Sync + 'a,
    ) -> Self {
        let start = Instant::now();
        let quiet = quiet || format != super::Format::Text;
        let live = if quiet { None } else { LiveTable::new(interface, start, size) };
        Self::new(super::stream::EventSink::new(format, quiet, start), live, every_event, progress)
    }

    /// Shows `event`.
    pub fn event(&self, event: &ListenEvent) {
        match (&self.live, event) {
            (Some(live), ListenEvent::Limit { .. }) => {
                if let Some(line) = self.sink.render(event, self.sink.elapsed()) {
                    live.above(&line);
                }
            }
            (Some(live), _) => live.event(event),
            (None, ListenEvent::Tick { remaining_secs, phones }) => {
                self.sink.progress(&(self.progress)(*remaining_secs, *phones));
            }
            (None, ListenEvent::Stage { .. }) => self.sink.emit(event, false),
            (None, _) if self.every_event => self.sink.emit(event, false),
            (None, _) => {}
        }
    }

    /// The window ended: the progress line goes, the live table shows its last frame.
    pub fn finish(&self, report: Option<&crate::observed::ListenReport>) {
        self.sink.clear_progress();
        if let (Some(live), Some(report)) = (&self.live, report) {
            live.finish(&report.phones, report.duration_secs, report.ended_by);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(kind: StageKind, result: StageResult, at_ms: u64, status: Option<u16>, protocol: &str) -> Stage {
        let mut stage = Stage::new(kind, result, Some(at_ms), String::new());
        stage.status = status;
        stage.protocol = Some(protocol.to_owned());
        stage
    }

    /// Phone `n` (MAC 00:15:65:00:00:n, 198.51.100.n) that got as far as `stages`.
    fn phone(n: u8, stages: Vec<Stage>) -> Phone {
        Phone {
            mac: Some(format!("00:15:65:00:00:{n:02x}")),
            vendor: Some("yealink".into()),
            model: Some("T46S".into()),
            firmware: Some("66.86.0.15".into()),
            user_agent: None,
            source: format!("198.51.100.{n}:5060").parse().unwrap(),
            ttl: Some(1),
            interface: Some("eth0".into()),
            same_subnet: Some(true),
            subscribes: 1,
            contact: None,
            answered_by: Vec::new(),
            answers: Vec::new(),
            stages,
        }
    }

    /// A phone's journey up to `upto` stages, starting at `at` ms, ending with `last` when given.
    fn journey(n: u8, at: u64, upto: usize, last: Option<Stage>) -> Phone {
        use StageKind::{Answer, FileAnswer, FileRequest, Notify, Register, RegisterAnswer, Subscribe};
        use StageResult::Ok;
        let mut stages = vec![
            stage(Subscribe, Ok, at, None, "udp"),
            stage(Answer, Ok, at + 2, Some(200), "udp"),
            stage(Notify, Ok, at + 3, None, "udp"),
            stage(FileRequest, Ok, at + 40, None, "http"),
            stage(FileAnswer, Ok, at + 45, Some(200), "http"),
            stage(Register, Ok, at + 90, None, "udp"),
            stage(RegisterAnswer, Ok, at + 95, Some(200), "udp"),
        ];
        stages.truncate(upto);
        stages.extend(last);
        phone(n, stages)
    }

    /// A rollout in progress: registered, a 404, a 403, no answer, one under way, a TLS refusal.
    fn rollout() -> Vec<Phone> {
        use StageKind::{Answer, FileAnswer, RegisterAnswer};
        vec![
            journey(7, 1_000, 7, None),
            journey(8, 1_200, 4, Some(stage(FileAnswer, StageResult::Failed, 1_260, Some(404), "http"))),
            journey(9, 1_500, 6, Some(stage(RegisterAnswer, StageResult::Failed, 1_600, Some(403), "udp"))),
            journey(10, 2_000, 1, None),
            journey(11, 11_000, 4, None),
            journey(12, 11_500, 3, Some(stage(FileAnswer, StageResult::Failed, 11_600, None, "https"))),
            journey(13, 3_000, 7, None),
            journey(14, 4_000, 1, Some(Stage::new(Answer, StageResult::NotVisible, None, String::new()))),
        ]
    }

    fn plain(lines: &[String]) -> String {
        lines.iter().fold(String::new(), |mut out, l| {
            let _ = writeln!(out, "{}", anstream::adapter::strip_str(l));
            out
        })
    }

    fn input(phones: &[Phone], width: usize, height: usize) -> FrameInput<'_> {
        FrameInput {
            interface: "eth0",
            phones,
            now_ms: 12_000,
            remaining_secs: Some(48),
            ended_by: None,
            width,
            height,
        }
    }

    #[test]
    fn a_frame_shows_every_phone_where_it_stands() {
        let phones = rollout();
        insta::assert_snapshot!(plain(&frame(&input(&phones, 100, 30))));
    }

    #[test]
    fn a_narrow_terminal_drops_columns_and_cuts_lines() {
        let phones = rollout();
        for (width, height) in [(40, 30), (25, 30), (8, 30), (100, 3)] {
            let lines = frame(&input(&phones, width, height));
            assert!(lines.len() < height, "{width}×{height}: {lines:?}");
            for line in &lines {
                assert!(anstream::adapter::strip_str(line).to_string().chars().count() <= width, "{line}");
            }
        }
        let lines = frame(&input(&phones, 40, 30));
        insta::assert_snapshot!(plain(&lines));
    }

    #[test]
    fn more_phones_than_rows_show_the_stopped_and_moving_first_and_count_the_rest() {
        let mut phones: Vec<Phone> = (20..120).map(|n| journey(n, u64::from(n) * 10, 7, None)).collect();
        phones.extend(rollout());
        let lines = frame(&input(&phones, 100, 12));
        assert!(lines.len() < 12, "{}", lines.len());
        insta::assert_snapshot!(plain(&lines));
    }

    #[test]
    fn the_last_frame_says_why_the_window_ended() {
        let phones = rollout();
        let mut ended = input(&phones, 100, 30);
        ended.remaining_secs = None;
        ended.ended_by = Some(WindowEnd::Until);
        ended.now_ms = 30_000;
        let lines = frame(&ended);
        assert!(anstream::adapter::strip_str(&lines[0]).to_string().starts_with("eth0: ended: --until met"));
        let empty = frame(&input(&[], 100, 30));
        assert_eq!(
            plain(&empty),
            "eth0: 48 s left, 12.0 s in — 0 phones, 0 done\nno phone heard yet: reboot the phones now\n"
        );
    }

    /// The listen document of the rollout's window, as it ended (what `finish` says at the end).
    fn document(ended_by: WindowEnd) -> crate::report::listen::ListenDocument {
        let crate::observed::Observed::Done(mut report) = crate::checks::fixtures::listened(rollout()) else {
            unreachable!()
        };
        report.duration_secs = 30.0;
        report.ended_by = Some(ended_by);
        crate::report::listen::ListenDocument {
            envelope: crate::report::Envelope::new("mcready.listen/v1", crate::checks::fixtures::host_info()),
            interface: "eth0".into(),
            report,
            own_actions: Vec::new(),
            quiet: false,
            verbose: false,
        }
    }

    #[test]
    fn the_summary_follows_the_answer_in_text_and_markdown() {
        use crate::report::Document as _;
        let text = anstream::adapter::strip_str(&document(WindowEnd::Until).to_text()).to_string();
        assert!(
            text.contains(
                "✔ 8 phones heard on eth0 in 30 s.\n  8 phones: 2 registered, 1 file 404, 1 REGISTER 403, 1 SUBSCRIBE, 1 \
                 file request, 1 file TLS failed, 1 no answer (the window ended at --until)\n"
            ),
            "{text}"
        );
        let markdown = document(WindowEnd::Duration).to_markdown();
        let body = markdown.split_once("**✔**").map(|(_, body)| body).unwrap();
        let summary: String = body.lines().take(14).collect::<Vec<_>>().join("\n");
        insta::assert_snapshot!(summary);
    }

    #[test]
    fn the_funnel_counts_phones_by_where_they_stopped() {
        let mut phones = rollout();
        phones.push(journey(15, 5_000, 7, None));
        assert_eq!(
            funnel_line(&phones),
            "9 phones: 3 registered, 1 file 404, 1 REGISTER 403, 1 SUBSCRIBE, 1 file request, 1 file TLS failed, 1 no answer"
        );
        assert_eq!(funnel_line(&[phone(1, Vec::new())]), "1 phone: 1 heard");
    }
}
