//! Draft extraction: candidate forecast rows from commentary, for staff review.
//!
//! Owns reading plain-text commentary (UTF-8, any quote and dash style) into
//! paragraphs, sentences and quotations; finding who said what (direct quotes,
//! "X said", "according to X", "X believes / expects / assumes / notes / warns",
//! a quote attributed in the next or previous sentence, "the expert" or "he"
//! referring back to the last named speaker, a surname standing for a full
//! name); finding the estimative phrases the lexicon knows, their polarity and
//! reading; scoring each candidate's confidence with its reasons; and writing
//! the drafts in the import format. It never writes to the ledger.
//!
//! The rules are general, documented in `docs/lexicon-and-extract.md`, and
//! deliberately conservative: a candidate that is not a forecast (a statement
//! of position, a description of the past, a wish, a question, a mention of
//! someone else's claim) is dropped or scored low, and a phrase the lexicon
//! cannot read is never guessed: the draft leaves `verbal` empty and says why.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::ledger::import::DRAFT_REVIEW_COLUMNS;
use crate::lexicon::{How, Lexicon, canonical_words};
use crate::model::Direction;
use crate::render::csv_out::safe_cell;

/// Settings of one extraction.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// `source` column (e.g. the article's URL).
    pub source: String,
    /// `made_on` column: the article's publication date, when known.
    pub published: Option<NaiveDate>,
    /// `recorded_by` column (empty: `hindsight import --by` fills it).
    pub recorded_by: String,
    /// Drafts below this confidence are left out by [`extract`].
    pub min_confidence: f64,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            source: String::new(),
            published: None,
            recorded_by: String::new(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
        }
    }
}

/// The default confidence threshold of [`extract`].
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.5;

/// What kind of speaker a draft is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerKind {
    /// A named person.
    Person,
    /// A named institution, government or group of them.
    Organisation,
    /// A news outlet (usually the messenger, not the forecaster).
    Outlet,
    /// Described but not named ("a State Department official", "experts").
    Unnamed,
    /// Nobody: the reporter's own voice.
    None,
}

/// The probability a draft's phrase maps to, as P(yes) of the clause's event
/// (after `direction`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mapped {
    pub p: f64,
    pub low: f64,
    pub high: f64,
}

/// One candidate forecast row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    /// Who the statement is attributed to ("" when nobody).
    pub forecaster: String,
    pub speaker_kind: SpeakerKind,
    /// The lexicon phrase (positive form, as the ledger codes it), or "" when
    /// the words have no reading and a person must choose.
    pub verbal: String,
    /// `no` when the statement is about the event not happening.
    #[serde(serialize_with = "direction_str")]
    pub direction: Direction,
    /// The words as they stand in the text ("won't", "cannot be ruled out").
    pub found: String,
    /// P(yes) of the clause's event and its range; `None` without a reading.
    pub mapped: Option<Mapped>,
    /// Where the reading comes from: a scale id, `hindsight` or `ledger`.
    pub scale: String,
    /// The speaker's words for the `quote` column: the clause holding the phrase
    /// (the quoted part when it is a direct quote).
    pub quote: String,
    /// The whole sentence.
    pub sentence: String,
    /// 1-based line of the sentence in the article.
    pub line: usize,
    /// 0 to 1: how sure the extractor is that this is a forecast by `forecaster`.
    pub confidence: f64,
    /// Reasons: how the speaker was found, what lowered the confidence, what a
    /// reviewer must decide.
    pub notes: Vec<String>,
}

fn direction_str<S: serde::Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.as_str())
}

/// Decode an article: UTF-8 (a byte order mark is dropped), CR LF and CR line
/// ends become LF. Invalid UTF-8 is an error naming the line.
pub fn decode_article(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.replace("\r\n", "\n").replace('\r', "\n")),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Err(format!(
                "line {}: not valid UTF-8 (byte {}); save the article as UTF-8 text",
                line,
                at + 1
            ))
        }
    }
}

/// Candidate forecasts in `text` with confidence at least
/// `opts.min_confidence`, in text order.
pub fn extract(text: &str, lexicon: &Lexicon, opts: &ExtractOptions) -> Vec<Draft> {
    extract_all(text, lexicon)
        .into_iter()
        .filter(|d| d.confidence >= opts.min_confidence)
        .collect()
}

/// Every candidate, whatever its confidence, in text order.
pub fn extract_all(text: &str, lexicon: &Lexicon) -> Vec<Draft> {
    let doc = Doc::new(text);
    let matcher = Matcher::new(lexicon);
    let mut st = State {
        text,
        lexicon,
        matcher: &matcher,
        mem: Memory::default(),
        drafts: Vec::new(),
        line_starts: line_starts(text),
    };
    let mut prev_last: Option<SentOut> = None;
    for para in &doc.paras {
        if para.fragment {
            if let Some(a) = byline(text, para) {
                st.mem.author = Some(a);
            }
            prev_last = None;
            continue;
        }
        prev_last = st.paragraph(para, prev_last.take());
    }
    st.drafts
}

/// "By Mary Jones" (or "By Mary Jones, Seoul correspondent"): the author.
fn byline(text: &str, para: &Para) -> Option<String> {
    let first = para.toks.first()?;
    if first.norm != "by" || !first.cap {
        return None;
    }
    let names: Vec<&Tok> = para.toks[1..]
        .iter()
        .take_while(|t| t.kind == Kind::Word && (t.cap || t.norm == "and"))
        .collect();
    if names.len() < 2
        || names
            .iter()
            .any(|t| NOT_NAME.contains(&t.norm.as_str()) && t.norm != "and")
    {
        return None;
    }
    let (a, b) = (names.first()?.start, names.last()?.end);
    Some(squash(text.get(a..b)?))
}

/// The import-format header of a drafts file: the import's columns, then the
/// review columns that `hindsight import` accepts and ignores.
pub fn draft_header() -> Vec<&'static str> {
    let mut h = vec![
        "question_id",
        "forecaster",
        "made_on",
        "probability",
        "verbal",
        "direction",
        "quote",
        "source",
        "recorded_by",
    ];
    h.extend_from_slice(DRAFT_REVIEW_COLUMNS);
    h
}

fn num(v: f64) -> String {
    let s = format!("{:.4}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Write drafts as CSV in the import format ([`draft_header`]). `question_id`
/// and `probability` are left empty for a person to fill in; review columns
/// that a spreadsheet could run as formulas are neutralized with `'`.
pub fn write_drafts_csv<W: Write>(
    w: W,
    drafts: &[Draft],
    opts: &ExtractOptions,
) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record(draft_header())?;
    let made_on = opts.published.map(|d| d.to_string()).unwrap_or_default();
    for d in drafts {
        let (p, lo, hi) = match d.mapped {
            Some(m) => (num(m.p), num(m.low), num(m.high)),
            None => Default::default(),
        };
        let mut rec: Vec<String> = vec![
            String::new(),
            d.forecaster.clone(),
            made_on.clone(),
            String::new(),
            d.verbal.clone(),
            d.direction.as_str().to_string(),
            d.quote.clone(),
            opts.source.clone(),
            opts.recorded_by.clone(),
        ];
        // Must follow DRAFT_REVIEW_COLUMNS.
        rec.extend([
            format!("{:.2}", d.confidence),
            safe_cell(&d.found),
            p,
            lo,
            hi,
            d.scale.clone(),
            safe_cell(&d.sentence),
            d.line.to_string(),
            safe_cell(&d.notes.join("; ")),
        ]);
        out.write_record(&rec)?;
    }
    out.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Word lists. All lower case.

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "sgt", "capt", "cpt", "maj", "adm", "sen",
    "rep", "gov", "st", "jr", "sr", "no", "vs", "etc", "e.g", "i.e", "inc", "corp", "co", "ltd",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s",
    "u.k", "u.n", "approx", "fig", "vol", "pp", "cf", "al",
];

/// Words that never start or continue a person's name.
#[rustfmt::skip]
const NOT_NAME: &[&str] = &[
    // function words and discourse markers
    "the", "a", "an", "as", "but", "however", "in", "on", "at", "according", "also", "then",
    "so", "this", "that", "these", "those", "there", "it", "we", "he", "she", "they", "i",
    "you", "our", "his", "her", "their", "its", "my", "your", "if", "when", "while", "after",
    "before", "since", "because", "although", "though", "and", "or", "nor", "for", "yet",
    "with", "without", "by", "from", "to", "of", "meanwhile", "moreover", "earlier", "later",
    "now", "still", "today", "yesterday", "tomorrow", "last", "next", "first", "second",
    "third", "finally", "instead", "indeed", "thus", "hence", "furthermore", "besides",
    "inside", "outside", "during", "despite", "under", "over", "about", "against", "between",
    "among", "until", "unless", "whether", "what", "which", "who", "whom", "whose", "where",
    "why", "how", "all", "both", "each", "every", "some", "any", "no", "not", "such", "other",
    "another", "many", "most", "more", "few", "several", "only", "even", "just", "here", "well",
    "asked", "speaking", "analysts", "experts", "officials", "sources", "critics", "observers",
    // months and days
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday",
    // titles and roles
    "president", "vice", "prime", "minister", "deputy", "secretary", "assistant", "ambassador",
    "envoy", "special", "senior", "chief", "head", "director", "general", "admiral", "colonel",
    "lieutenant", "major", "captain", "sergeant", "chairman", "chairwoman", "chair",
    "spokesman", "spokeswoman", "spokesperson", "senator", "representative", "congressman",
    "congresswoman", "governor", "mayor", "professor", "prof", "dr", "mr", "mrs", "ms", "miss",
    "sir", "lord", "lady", "king", "queen", "prince", "princess", "pope", "judge", "justice",
    "commander", "marshal", "analyst", "expert", "researcher", "research", "fellow", "scholar",
    "economist", "leader", "former", "acting", "executive", "officer", "adviser", "advisor",
    "counselor", "counsellor", "premier", "chancellor", "foreign", "defense", "defence",
    "supreme", "first", "lady", "member", "members", "associate", "visiting", "emeritus",
    "founder", "co-founder", "editor", "correspondent", "reporter", "author", "lawmaker",
    "diplomat", "official", "chairperson", "president-elect", "ex", "gen", "lt", "col", "sen",
    "rep", "gov", "adm", "capt", "sgt", "maj", "sister", "brother", "wife", "husband", "son",
    "daughter", "father", "mother", "uncle", "aunt",
    // organisations
    "ministry", "department", "center", "centre", "institute", "university", "academy",
    "school", "college", "foundation", "agency", "office", "committee", "commission", "party",
    "army", "forces", "force", "navy", "air", "administration", "government", "parliament",
    "congress", "senate", "house", "white", "kremlin", "pentagon", "bank", "fund", "group",
    "organization", "organisation", "association", "society", "service", "services", "times",
    "post", "news", "press", "studies", "affairs", "state", "states", "national",
    "international", "federal", "central", "republic", "democratic", "people's", "peoples",
    "assembly", "board", "corporation", "council", "security", "union", "united", "nations",
    "kingdom", "council", "court", "embassy", "mission", "delegation", "cabinet", "command",
    "staff", "intelligence", "strategic", "policy", "program", "programme", "project",
    "initiative", "network", "daily", "journal", "review", "magazine", "television", "radio",
    "tv", "online", "media", "global", "world", "economic", "relations", "science", "sciences",
    "technology", "economics", "politics", "comprehensive", "advanced", "peace", "war",
    "nuclear", "korean", "studies", "eastern", "western", "northern", "southern", "east",
    "west", "north", "south", "far", "middle", "near", "peninsula", "region", "county",
    "province", "city", "island", "islands", "sea", "ocean", "gulf", "bay", "river",
    // places and demonyms (a general list, not this article's)
    "korea", "dprk", "rok", "china", "chinese", "russia", "russian", "japan", "japanese",
    "america", "american", "americans", "usa", "us", "uk", "britain", "british", "england",
    "english", "france", "french", "germany", "german", "italy", "italian", "spain", "spanish",
    "india", "indian", "pakistan", "pakistani", "iran", "iranian", "iraq", "iraqi", "syria",
    "syrian", "israel", "israeli", "palestine", "palestinian", "egypt", "egyptian", "turkey",
    "turkish", "ukraine", "ukrainian", "belarus", "poland", "polish", "canada", "canadian",
    "mexico", "mexican", "brazil", "brazilian", "argentina", "australia", "australian",
    "vietnam", "vietnamese", "taiwan", "taiwanese", "mongolia", "philippines", "indonesia",
    "malaysia", "singapore", "thailand", "afghanistan", "saudi", "arabia", "emirates", "qatar",
    "europe", "european", "asia", "asian", "africa", "african", "pacific", "atlantic", "arctic",
    "washington", "moscow", "beijing", "pyongyang", "seoul", "tokyo", "hanoi", "london",
    "paris", "berlin", "brussels", "geneva", "vienna", "new", "york", "kyiv", "kiev", "tehran",
    "jerusalem", "singapore", "stockholm", "hong", "kong", "taipei", "delhi", "islamabad",
    "baghdad", "damascus", "ankara", "istanbul", "rome", "madrid", "ottawa", "canberra",
    "sydney", "shanghai", "vladivostok", "panmunjom", "kaesong", "guam", "hawaii", "alaska",
    "okinawa",
];

/// Lower-case particles allowed inside a name ("Ursula von der Leyen").
const NAME_PARTICLES: &[&str] = &[
    "de", "van", "von", "der", "den", "bin", "al", "da", "di", "du", "la", "le", "ter", "ibn",
];

/// Nouns for a person's role: "the expert said" refers back to a named speaker.
#[rustfmt::skip]
const ROLE_NOUNS: &[&str] = &[
    "expert", "analyst", "researcher", "scholar", "specialist", "diplomat", "official",
    "minister", "spokesman", "spokeswoman", "spokesperson", "professor", "economist",
    "scientist", "politician", "lawmaker", "senator", "general", "commander", "envoy",
    "ambassador", "president", "secretary", "chairman", "leader", "head", "author", "academic",
    "observer", "commentator", "strategist", "negotiator", "director", "fellow", "adviser",
    "advisor", "representative", "officer", "chief", "source", "veteran", "columnist",
    "journalist", "writer", "historian", "politologist", "sinologist", "orientalist",
];

/// Head nouns of institutions named in lower case ("the foreign ministry said").
#[rustfmt::skip]
const ORG_HEADS: &[&str] = &[
    "ministry", "government", "department", "agency", "office", "embassy", "military", "army",
    "regime", "administration", "leadership", "council", "committee", "commission",
    "parliament", "cabinet", "presidency", "kremlin", "pentagon", "navy", "command",
    "institute", "think-tank", "bank", "delegation", "side", "authorities",
];

/// Plural or collective speakers that name nobody.
#[rustfmt::skip]
const GENERIC_SPEAKERS: &[&str] = &[
    "experts", "analysts", "officials", "observers", "sources", "diplomats", "critics",
    "scientists", "economists", "researchers", "authorities", "insiders", "commentators",
    "pundits", "some", "many", "others", "people", "reports", "media", "scholars",
];

/// News outlets: they report what others say.
#[rustfmt::skip]
const OUTLETS: &[&str] = &[
    "reuters", "tass", "ria", "interfax", "xinhua", "yonhap", "kcna", "ap", "afp", "bloomberg",
    "cnn", "bbc", "nhk", "kyodo", "politico", "rt", "sputnik", "nbc", "cbs", "abc", "npr",
    "msnbc", "axios", "nikkei", "guardian", "telegraph", "economist", "izvestia", "kommersant",
    "vedomosti", "associated", "agence", "france-presse", "newspaper", "agency", "outlet",
    "broadcaster", "channel", "daily", "times", "post", "journal", "magazine", "tv",
    "television", "radio", "news", "gazette", "herald", "tribune", "wire",
];

/// Verbs that report speech or belief; their subject is the speaker.
#[rustfmt::skip]
const REPORT_VERBS: &[&str] = &[
    "said", "says", "say", "told", "tells", "added", "adds", "noted", "notes", "argued",
    "argues", "argue", "stated", "believes", "believe", "believed", "expects", "expect",
    "assumes", "assume", "assumed", "warns", "warned", "warn", "thinks", "think", "thought",
    "predicts", "predicted", "predict", "forecasts", "forecast", "estimates", "estimated",
    "suggested", "suggests", "claimed", "claims", "insisted", "insists", "explained",
    "explains", "recalled", "recalls", "stressed", "stresses", "emphasized", "emphasised",
    "emphasizes", "emphasises", "wrote", "writes", "cautioned", "cautions", "fears", "feared",
    "doubts", "doubted", "reckons", "reckoned", "admitted", "admits", "acknowledged",
    "acknowledges", "concluded", "concludes", "observed", "observes", "remarked", "remarks",
    "commented", "comments", "informs", "informed", "reports", "reported", "announced",
    "announces", "declared", "declares", "confirmed", "confirms", "hopes", "hoped", "hope",
    "expressed", "expresses", "assessed", "assesses", "judges", "judged", "speculated",
    "speculates", "maintained", "maintains", "contended", "contends", "asserted", "asserts",
    "mentioned", "replied", "answered", "responded", "pointed", "quoted", "quotes", "opined",
    "anticipates", "anticipated", "tweeted", "wrote", "continued", "agreed", "agrees",
    "projected", "stated", "states", "believes", "spoke", "suspects", "suspected", "put",
];

/// Reporting verbs that recount the past: what they govern is not a forecast
/// made now.
const PAST_REPORT_VERBS: &[&str] = &["recalled", "recalls", "reminded", "recounted"];

/// Nouns that introduce someone else's claim: "the suggestion that Kim may ..."
/// mentions a view, it does not state one.
#[rustfmt::skip]
const MENTION_NOUNS: &[&str] = &[
    "suggestion", "suggestions", "claim", "claims", "report", "reports", "rumor", "rumors",
    "rumour", "rumours", "speculation", "allegation", "allegations", "assertion", "idea",
    "notion", "phrase", "words", "condition", "conditions", "demand", "demands", "proposal",
    "promise", "pledge", "hope", "hopes", "wish", "question", "theory", "narrative",
];

const COPULAS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "am", "seems", "seem", "seemed", "appears",
    "appear", "appeared", "remains", "remain", "looks", "look", "becomes", "become", "became",
    "feel", "feels", "quite", "very", "entirely", "also", "still", "not", "now",
];

const DETERMINERS: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "its", "their", "his", "her", "our", "my",
    "your", "any", "every", "all", "some", "no", "of", "for", "more", "other", "such", "most",
    "less",
];

/// Words after an adjective that show it is predicative ("possible, but",
/// "likely to", "certain that").
const AFTER_PREDICATIVE: &[&str] = &[
    "to", "that", "but", "and", "if", "unless", "though", "although", "for", "now", "soon", "too",
    "either", "anyway", "within", "before", "after", "until", "because", "despite", "in", "at",
    "by", "on", "this", "next", "given", "however", "then", "again", "though", "not", "as",
    "enough", "under", "with", "without", "yet", "so", "over", "during",
];

/// Intensifiers and downtoners that change a phrase's reading when the
/// combination is not itself in the lexicon.
#[rustfmt::skip]
const MODIFIERS: &[&str] = &[
    "quite", "fairly", "rather", "pretty", "extremely", "increasingly", "more", "less",
    "somewhat", "slightly", "reasonably", "overwhelmingly", "very", "highly", "so", "too",
    "most", "least", "hardly", "barely", "scarcely", "far", "much", "less",
];

/// Lexicon phrases that are not estimative when they stand alone in
/// commentary: frequency words ("usually", "never") and bare negators.
const NOT_CUES: &[&str] = &[
    "always",
    "almost always",
    "usually",
    "often",
    "frequently",
    "rarely",
    "never",
    "not often",
    "more often than not",
];

// ---------------------------------------------------------------------------
// Tokens, paragraphs, sentences, quotations.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Open,
    Close,
    Either,
    SingleOpen,
    SingleClose,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word,
    Punct(char),
    Quote(Mark),
}

#[derive(Debug, Clone)]
struct Tok {
    start: usize,
    end: usize,
    kind: Kind,
    /// Lower case, straight apostrophes.
    norm: String,
    /// First letter upper case.
    cap: bool,
    /// Two or more letters, all upper case (an acronym).
    upper: bool,
    space_before: bool,
    /// Not followed by a letter or digit.
    space_after: bool,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

fn quote_mark(c: char) -> Option<Mark> {
    match c {
        '"' | '\u{201F}' | '\u{2033}' | '\u{FF02}' => Some(Mark::Either),
        '\u{201C}' | '\u{201E}' | '\u{00AB}' | '\u{301D}' => Some(Mark::Open),
        '\u{201D}' | '\u{00BB}' | '\u{301E}' => Some(Mark::Close),
        _ => None,
    }
}

/// Tokenize `text` (which starts at byte `base` of the article).
fn tokenize(text: &str, base: usize, out: &mut Vec<Tok>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let byte = |i: usize| chars.get(i).map(|&(b, _)| b).unwrap_or(text.len());
    let mut i = 0;
    while i < n {
        let c = chars[i].1;
        let space_before = i == 0 || at(i - 1).is_some_and(char::is_whitespace);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_alphanumeric() {
            let mut j = i + 1;
            loop {
                match at(j) {
                    Some(d) if d.is_alphanumeric() => j += 1,
                    Some(d)
                        if (is_apostrophe(d) || is_hyphen(d))
                            && at(j + 1).is_some_and(char::is_alphanumeric) =>
                    {
                        j += 2
                    }
                    // U.S., e.g., 3.5, 1,000
                    Some('.')
                        if at(j + 1).is_some_and(char::is_alphanumeric)
                            && (at(j.wrapping_sub(1)).is_some_and(|p| p.is_ascii_digit())
                                && at(j + 1).is_some_and(|x| x.is_ascii_digit())
                                || (j >= 1
                                    && at(j - 1).is_some_and(char::is_alphabetic)
                                    && (j < 2
                                        || !at(j - 2).is_some_and(char::is_alphanumeric))
                                    && at(j + 2).is_none_or(|x| !x.is_alphanumeric()))) =>
                    {
                        j += 2
                    }
                    Some(',')
                        if at(j.wrapping_sub(1)).is_some_and(|p| p.is_ascii_digit())
                            && at(j + 1).is_some_and(|x| x.is_ascii_digit()) =>
                    {
                        j += 2
                    }
                    _ => break,
                }
            }
            let s = &text[byte(i)..byte(j)];
            let norm: String = s
                .chars()
                .map(|c| if is_apostrophe(c) { '\'' } else { c })
                .collect::<String>()
                .to_lowercase();
            let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
            out.push(Tok {
                start: base + byte(i),
                end: base + byte(j),
                kind: Kind::Word,
                norm,
                cap: s.chars().next().is_some_and(char::is_uppercase),
                upper: letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()),
                space_before,
                space_after: at(j).is_none_or(|c| !c.is_alphanumeric()),
            });
            i = j;
            continue;
        }
        let kind = if let Some(m) = quote_mark(c) {
            Kind::Quote(m)
        } else if matches!(c, '\u{2018}' | '\u{2019}' | '\'') {
            let prev_word = i > 0 && at(i - 1).is_some_and(|p| p.is_alphanumeric());
            let next_word = at(i + 1).is_some_and(char::is_alphanumeric);
            if !prev_word && next_word && c != '\u{2019}' {
                Kind::Quote(Mark::SingleOpen)
            } else if !next_word {
                Kind::Quote(Mark::SingleClose)
            } else {
                Kind::Punct(c)
            }
        } else if matches!(c, '\u{2014}' | '\u{2013}' | '\u{2015}') {
            Kind::Punct('-')
        } else if c == '\u{2026}' {
            Kind::Punct('…')
        } else {
            Kind::Punct(c)
        };
        let norm = match &kind {
            Kind::Punct(p) => p.to_string(),
            _ => "\"".to_string(),
        };
        out.push(Tok {
            start: base + byte(i),
            end: base + byte(i + 1),
            kind,
            norm,
            cap: false,
            upper: false,
            space_before,
            space_after: at(i + 1).is_none_or(|c| !c.is_alphanumeric()),
        });
        i += 1;
    }
}

#[derive(Debug, Clone)]
struct QSpan {
    open: usize,
    /// Token index of the closing mark; `None`: runs to the paragraph's end.
    close: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Para {
    toks: Vec<Tok>,
    /// Sentences as token ranges.
    sents: Vec<(usize, usize)>,
    quotes: Vec<QSpan>,
    /// For each token, the quotation it is inside of (marks excluded).
    tok_q: Vec<Option<usize>>,
    /// A heading, caption or bullet line: no sentences are read from it.
    fragment: bool,
}

struct Doc {
    paras: Vec<Para>,
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            v.push(i + 1);
        }
    }
    v
}

fn is_bullet(line: &str) -> bool {
    let t = line.trim_start();
    let mut cs = t.chars();
    matches!(
        (cs.next(), cs.next()),
        (Some('•' | '·' | '*' | '▪' | '◦' | '‣' | '-' | '–' | '—'), Some(c)) if c.is_whitespace()
    )
}

/// A short line with no sentence-final punctuation: a heading or caption.
fn is_heading(line: &str) -> bool {
    let t = line.trim();
    let ends = ends_sentence(t) || matches!(t.chars().last(), Some(':' | ';' | ','));
    !ends && t.split_whitespace().count() <= 10
}

fn ends_sentence(line: &str) -> bool {
    matches!(
        line.trim_end().chars().last(),
        Some('.' | '!' | '?' | '"' | '\u{201D}' | '\u{00BB}' | '\u{2019}' | '\'' | ')' | '…')
    )
}

fn starts_upper(line: &str) -> bool {
    line.trim_start()
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || quote_mark(c).is_some() || c == '\u{2018}')
}

impl Doc {
    fn new(text: &str) -> Doc {
        // Blocks of non-blank lines. In a block, bullets are fragments, and so
        // are short unpunctuated lines before the text (headings, bylines). A
        // block whose lines mostly end a sentence has one paragraph per line;
        // otherwise its lines are joined (hard-wrapped text).
        let mut blocks: Vec<Vec<(usize, &str)>> = Vec::new();
        let mut cur: Vec<(usize, &str)> = Vec::new();
        let mut offset = 0;
        for line in text.split('\n') {
            let start = offset;
            offset += line.len() + 1;
            if line.trim().is_empty() {
                if !cur.is_empty() {
                    blocks.push(std::mem::take(&mut cur));
                }
            } else {
                cur.push((start, line));
            }
        }
        if !cur.is_empty() {
            blocks.push(cur);
        }
        let mut paras: Vec<Para> = Vec::new();
        let fragment = |start: usize, line: &str| {
            let mut p = Para {
                fragment: true,
                ..Para::default()
            };
            tokenize(line, start, &mut p.toks);
            p
        };
        for block in blocks {
            let text_lines: Vec<&&str> = block
                .iter()
                .map(|(_, l)| l)
                .filter(|l| !is_bullet(l))
                .collect();
            let per_line =
                text_lines.iter().filter(|l| ends_sentence(l)).count() * 2 > text_lines.len();
            let mut cur: Option<Para> = None;
            for (i, &(start, line)) in block.iter().enumerate() {
                let next = block.get(i + 1).map(|(_, l)| *l);
                if is_bullet(line) {
                    if let Some(p) = cur.take() {
                        paras.push(p);
                    }
                    // A bullet that is a sentence is read; a caption is not.
                    let mut p = fragment(start, line);
                    p.fragment = !ends_sentence(line);
                    paras.push(p);
                    continue;
                }
                if cur.is_none() && is_heading(line) && next.is_none_or(starts_upper) {
                    paras.push(fragment(start, line));
                    continue;
                }
                let p = cur.get_or_insert_with(Para::default);
                tokenize(line, start, &mut p.toks);
                if per_line
                    && ends_sentence(line)
                    && next.is_none_or(starts_upper)
                    && let Some(p) = cur.take()
                {
                    paras.push(p);
                }
            }
            if let Some(p) = cur.take() {
                paras.push(p);
            }
        }
        for p in &mut paras {
            p.quotes = pair_quotes(&p.toks);
            p.tok_q = vec![None; p.toks.len()];
            for (qi, q) in p.quotes.iter().enumerate() {
                let end = q.close.unwrap_or(p.toks.len());
                for t in (q.open + 1)..end {
                    if let Some(slot) = p.tok_q.get_mut(t) {
                        *slot = Some(qi);
                    }
                }
            }
            p.sents = split_sentences(&p.toks);
        }
        Doc { paras }
    }
}

/// Classify a quotation mark as opening or closing from its neighbours.
fn classify(t: &Tok, depth: usize) -> Option<bool> {
    // Some(true) = opens, Some(false) = closes.
    match t.kind {
        Kind::Quote(Mark::Open) => {
            // German „…“ and stray “ used as a closing mark.
            if depth > 0 && t.space_after && !t.space_before {
                Some(false)
            } else {
                Some(true)
            }
        }
        Kind::Quote(Mark::Close) => {
            // Swedish ”…” or a closing mark used to open.
            if depth == 0 && t.space_before && !t.space_after {
                Some(true)
            } else {
                Some(false)
            }
        }
        Kind::Quote(Mark::Either) => {
            if t.space_after && depth > 0 {
                Some(false)
            } else if t.space_before {
                Some(true)
            } else if depth > 0 {
                Some(false)
            } else {
                Some(true)
            }
        }
        _ => None,
    }
}

fn pair_quotes(toks: &[Tok]) -> Vec<QSpan> {
    let marks: Vec<usize> = (0..toks.len())
        .filter(|&i| {
            matches!(
                toks[i].kind,
                Kind::Quote(Mark::Open | Mark::Close | Mark::Either)
            )
        })
        .collect();
    let mut spans = pair_with(toks, &marks, true);
    if spans.iter().any(|s| s.close.is_none()) {
        // Unbalanced: pair flat (a closing mark closes whatever is open).
        spans = pair_with(toks, &marks, false);
    }
    if marks.is_empty() {
        // British style: ‘…’, only when there are no double quotation marks.
        let singles: Vec<usize> = (0..toks.len())
            .filter(|&i| matches!(toks[i].kind, Kind::Quote(Mark::SingleOpen)))
            .collect();
        for &o in &singles {
            let close = (o + 1..toks.len())
                .take_while(|&j| !matches!(toks[j].kind, Kind::Quote(Mark::SingleOpen)))
                .find(|&j| matches!(toks[j].kind, Kind::Quote(Mark::SingleClose)));
            if let Some(c) = close {
                spans.push(QSpan {
                    open: o,
                    close: Some(c),
                });
            }
        }
    }
    spans.sort_by_key(|s| s.open);
    spans
}

fn pair_with(toks: &[Tok], marks: &[usize], nested: bool) -> Vec<QSpan> {
    let mut spans = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for &m in marks {
        match classify(&toks[m], stack.len()) {
            Some(true) if nested || stack.is_empty() => stack.push(m),
            Some(true) => {}
            Some(false) => {
                if nested {
                    if let Some(o) = stack.pop() {
                        // Only outermost quotations are kept.
                        if stack.is_empty() {
                            spans.push(QSpan {
                                open: o,
                                close: Some(m),
                            });
                        }
                    }
                } else if let Some(o) = stack.pop() {
                    spans.push(QSpan {
                        open: o,
                        close: Some(m),
                    });
                }
            }
            None => {}
        }
    }
    if let Some(&o) = stack.first() {
        spans.push(QSpan {
            open: o,
            close: None,
        });
    }
    spans
}

fn is_closing(t: &Tok) -> bool {
    matches!(
        t.kind,
        Kind::Quote(Mark::Close | Mark::Either | Mark::SingleClose) | Kind::Punct(')' | ']')
    )
}

/// Sentences longer than this (in tokens) are cut.
const MAX_SENTENCE_TOKENS: usize = 300;

fn split_sentences(toks: &[Tok]) -> Vec<(usize, usize)> {
    let mut sents = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < toks.len() {
        let end_mark = matches!(toks[i].kind, Kind::Punct('.' | '!' | '?' | '…'));
        if !end_mark {
            i += 1;
            if i - start >= MAX_SENTENCE_TOKENS {
                sents.push((start, i));
                start = i;
            }
            continue;
        }
        // Closing quotes and brackets (and repeated marks) stay with the sentence.
        let mut j = i + 1;
        while j < toks.len()
            && (is_closing(&toks[j]) || matches!(toks[j].kind, Kind::Punct('.' | '!' | '?')))
        {
            j += 1;
        }
        let next = toks.get(j);
        let starts_new = match next {
            None => true,
            Some(t) => {
                t.cap
                    || matches!(t.kind, Kind::Quote(_))
                    || t.norm.chars().next().is_some_and(|c| c.is_ascii_digit())
            }
        };
        let abbrev = toks[i].kind == Kind::Punct('.')
            && i > 0
            && toks[i - 1].kind == Kind::Word
            && !toks[i].space_before
            && (ABBREVIATIONS.contains(&toks[i - 1].norm.as_str())
                || (toks[i - 1].norm.chars().count() == 1 && toks[i - 1].cap));
        if starts_new && !abbrev {
            sents.push((start, j));
            start = j;
        }
        i = j;
        // No real sentence is this long: cut it, so that work stays linear.
        if i - start > MAX_SENTENCE_TOKENS {
            sents.push((start, i));
            start = i;
        }
    }
    if start < toks.len() {
        sents.push((start, toks.len()));
    }
    sents
}

// ---------------------------------------------------------------------------
// Canonical word stream of a sentence.

#[derive(Debug, Clone)]
struct C {
    norm: String,
    /// Paragraph token index.
    tok: usize,
    word: bool,
    cap: bool,
    upper: bool,
    /// Quotation the word is in.
    q: Option<usize>,
    /// First word of the sentence.
    initial: bool,
}

fn canonical(para: &Para, range: (usize, usize)) -> Vec<C> {
    let mut out: Vec<C> = Vec::new();
    let mut first = true;
    for ti in range.0..range.1 {
        let Some(t) = para.toks.get(ti) else { break };
        let q = para.tok_q.get(ti).copied().flatten();
        match &t.kind {
            Kind::Quote(_) => continue,
            Kind::Punct(_) => out.push(C {
                norm: t.norm.clone(),
                tok: ti,
                word: false,
                cap: false,
                upper: false,
                q,
                initial: false,
            }),
            Kind::Word => {
                let parts = canonical_words([t.norm.as_str()]);
                for (k, p) in parts.into_iter().enumerate() {
                    out.push(C {
                        norm: p,
                        tok: ti,
                        word: true,
                        cap: t.cap && k == 0,
                        upper: t.upper,
                        q,
                        initial: first && k == 0,
                    });
                }
                first = false;
            }
        }
    }
    // "can not" -> "cannot"; "do/does/did not" -> "not".
    let mut merged: Vec<C> = Vec::with_capacity(out.len());
    let mut i = 0;
    while i < out.len() {
        let next = out.get(i + 1).map(|c| c.norm.as_str());
        if out[i].norm == "can" && next == Some("not") {
            let mut c = out[i].clone();
            c.norm = "cannot".into();
            merged.push(c);
            i += 2;
        } else if matches!(out[i].norm.as_str(), "do" | "does" | "did") && next == Some("not") {
            i += 1;
        } else {
            merged.push(out[i].clone());
            i += 1;
        }
    }
    merged
}

// ---------------------------------------------------------------------------
// Lexicon phrase matching.

struct Phrase {
    words: Vec<String>,
    key: String,
    /// The listed phrase ends in "to" ("plans to"): the text must go on with "to".
    needs_to: bool,
}

struct Matcher {
    phrases: Vec<Phrase>,
}

impl Matcher {
    fn new(lex: &Lexicon) -> Matcher {
        let mut phrases: Vec<Phrase> = lex
            .forms()
            .filter(|(_, e)| e.derived.as_ref().is_none_or(|d| d.how == How::Form))
            .filter(|(k, _)| !k.is_empty() && !NOT_CUES.contains(k))
            .map(|(k, e)| {
                let listed = match &e.derived {
                    Some(d) => d.from.as_str(),
                    None => e.phrase.as_str(),
                };
                Phrase {
                    words: k.split(' ').map(str::to_string).collect(),
                    key: k.to_string(),
                    needs_to: e.phrase.ends_with(" to") || listed.ends_with(" to"),
                }
            })
            .collect();
        phrases.sort_by(|a, b| b.words.len().cmp(&a.words.len()).then(a.key.cmp(&b.key)));
        Matcher { phrases }
    }

    /// Leftmost-longest matches over the words of `cs`.
    fn find(&self, cs: &[C]) -> Vec<(usize, usize, &Phrase)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < cs.len() {
            if !cs[i].word {
                i += 1;
                continue;
            }
            let hit = self.phrases.iter().find(|p| {
                p.words.len() <= cs.len() - i
                    && p.words
                        .iter()
                        .zip(&cs[i..])
                        .all(|(w, c)| c.word && c.norm == *w)
            });
            match hit {
                Some(p) => {
                    out.push((i, i + p.words.len(), p));
                    i += p.words.len();
                }
                None => i += 1,
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Speakers and the discourse memory.

#[derive(Debug, Clone, PartialEq)]
struct Speaker {
    name: String,
    kind: SpeakerKind,
    /// How an anaphor or surname was resolved, for the notes.
    resolved: Option<String>,
}

impl Speaker {
    fn factor(&self) -> f64 {
        let base = match self.kind {
            SpeakerKind::Person => 1.0,
            SpeakerKind::Organisation => 0.85,
            SpeakerKind::Outlet | SpeakerKind::Unnamed => 0.6,
            SpeakerKind::None => 0.3,
        };
        if self.resolved.is_some() {
            base * 0.95
        } else {
            base
        }
    }
}

#[derive(Debug, Clone)]
struct Known {
    name: String,
    kind: SpeakerKind,
    parts: Vec<String>,
    /// The words that introduced the speaker (roles: "senior research fellow").
    intro: String,
    spoke: Option<usize>,
    seen: usize,
    /// Last mentioned as the subject of a sentence.
    subject: Option<usize>,
}

#[derive(Debug, Default)]
struct Memory {
    known: Vec<Known>,
    clock: usize,
    /// The byline's name ("By Mary Jones"): who "I" is outside quotations.
    author: Option<String>,
    index: std::collections::HashMap<Vec<String>, usize>,
}

fn name_parts(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || is_hyphen(c))
        .map(|s| s.to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Memory {
    fn note_subject(&mut self, name: &str) {
        self.note(name, SpeakerKind::Person, "", false);
        let clock = self.clock;
        let parts = name_parts(name);
        if let Some(k) = self.index.get(&parts).and_then(|&i| self.known.get_mut(i)) {
            k.subject = Some(clock);
        }
    }

    fn note(&mut self, name: &str, kind: SpeakerKind, intro: &str, spoke: bool) {
        self.clock += 1;
        let parts = name_parts(name);
        let clock = self.clock;
        let found = self.index.get(&parts).copied();
        let k = match found.and_then(|i| self.known.get_mut(i)) {
            Some(k) => k,
            None => {
                self.index.insert(parts.clone(), self.known.len());
                self.known.push(Known {
                    name: name.to_string(),
                    kind,
                    parts,
                    intro: String::new(),
                    spoke: None,
                    seen: clock,
                    subject: None,
                });
                let Some(k) = self.known.last_mut() else {
                    return;
                };
                k
            }
        };
        k.seen = clock;
        if spoke {
            k.spoke = Some(clock);
        }
        if !intro.is_empty() && k.intro.len() < 400 {
            k.intro = format!("{} {}", k.intro, intro.to_lowercase());
        }
    }

    /// A person known by one of their names ("Kim" -> "Yevgeny Kim"): the most
    /// recent speaker with that name, else the most recent mention.
    fn by_part(&self, part: &str) -> Option<&Known> {
        let part = part.to_lowercase();
        let cands = self.known.iter().filter(|k| {
            k.kind == SpeakerKind::Person && k.parts.len() > 1 && k.parts.contains(&part)
        });
        cands.max_by_key(|k| (k.spoke.unwrap_or(0), k.seen))
    }

    /// The speaker "the expert" (role) or "he" (no role) refers to: the most
    /// recent speaker introduced with that role (named, or unnamed as in "one
    /// French diplomat"), else the most recent named speaker.
    fn last_speaker(&self, role: Option<&str>) -> Option<&Known> {
        if let Some(r) = role
            && let Some(k) = self
                .known
                .iter()
                .filter(|k| {
                    matches!(k.kind, SpeakerKind::Person | SpeakerKind::Unnamed)
                        && k.spoke.is_some()
                })
                .filter(|k| {
                    format!("{} {}", k.intro, k.name.to_lowercase())
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == r)
                })
                .max_by_key(|k| k.spoke)
        {
            return Some(k);
        }
        // "he"/"she": a named person, or an unnamed one ("a spokesman").
        let singular_role = |k: &Known| {
            k.kind == SpeakerKind::Unnamed
                && k.spoke.is_some()
                && name_parts(&k.name)
                    .iter()
                    .any(|w| ROLE_NOUNS.contains(&w.trim_end_matches("'s")))
        };
        self.known
            .iter()
            .filter(|k| {
                (k.kind == SpeakerKind::Person && (k.spoke.is_some() || k.subject.is_some()))
                    || singular_role(k)
            })
            .max_by_key(|k| k.spoke.max(k.subject))
    }

    fn author_speaker(&self, pronoun: &str) -> Speaker {
        match &self.author {
            Some(a) => Speaker {
                name: a.clone(),
                kind: SpeakerKind::Person,
                resolved: Some(format!("'{}' read as the author, {} (byline)", pronoun, a)),
            },
            None => Speaker {
                name: "the author".into(),
                kind: SpeakerKind::Unnamed,
                resolved: Some(format!(
                    "'{}' read as the article's author (no byline)",
                    pronoun
                )),
            },
        }
    }
}

/// Person-name runs in `cs[a..b]`: capitalized words that are not titles,
/// places, organisations or function words.
fn name_runs(cs: &[C], a: usize, b: usize) -> Vec<(usize, usize)> {
    let is_name = |c: &C| {
        c.word
            && c.cap
            && !c.upper
            && !NOT_NAME.contains(&c.norm.trim_end_matches("'s"))
            && c.norm.chars().next().is_some_and(char::is_alphabetic)
    };
    let mut runs = Vec::new();
    let mut i = a;
    while i < b {
        if !is_name(&cs[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b {
            if is_name(&cs[j]) && !cs[j - 1].norm.ends_with("'s") {
                j += 1;
            } else if j + 1 < b
                && cs[j].word
                && !cs[j].cap
                && NAME_PARTICLES.contains(&cs[j].norm.as_str())
                && is_name(&cs[j + 1])
            {
                j += 2;
            } else {
                break;
            }
        }
        runs.push((i, j));
        i = j;
    }
    runs
}

fn text_of(text: &str, para: &Para, cs: &[C], a: usize, b: usize) -> String {
    if a >= b || b > cs.len() {
        return String::new();
    }
    let (Some(first), Some(last)) = (para.toks.get(cs[a].tok), para.toks.get(cs[b - 1].tok)) else {
        return String::new();
    };
    squash(text.get(first.start..last.end).unwrap_or(""))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn name_text(text: &str, para: &Para, cs: &[C], a: usize, b: usize) -> String {
    let s = text_of(text, para, cs, a, b);
    s.strip_suffix("'s")
        .or_else(|| s.strip_suffix("\u{2019}s"))
        .unwrap_or(&s)
        .to_string()
}

#[rustfmt::skip]
const INTRO_WORDS: &[&str] = &[
    "as", "but", "however", "and", "so", "also", "in", "turn", "meanwhile", "earlier", "later",
    "then", "now", "still", "yet", "moreover", "furthermore", "additionally", "addition",
    "finally", "thus", "instead", "indeed", "separately", "similarly", "likewise", "this",
    "week", "today", "yesterday", "on", "at", "same", "time",
];

// ---------------------------------------------------------------------------
// Attribution markers.

#[derive(Debug, Clone)]
struct Marker {
    /// Index in the sentence's stream of the reporting word.
    verb: usize,
    /// Stream range of the speaker's noun phrase.
    np: (usize, usize),
    /// Last stream index of the marker (verb, "that", "according to X").
    end: usize,
    speaker: Speaker,
    /// "expressed the hope that", "hopes that": a wish, not a forecast.
    wish: bool,
    /// "recalled": what follows is about the past.
    past: bool,
    /// Quotation the marker stands in (a report inside a quote).
    q: Option<usize>,
    verb_text: String,
}

struct Ctx<'a> {
    text: &'a str,
    para: &'a Para,
    cs: &'a [C],
}

impl Ctx<'_> {
    fn w(&self, i: usize) -> &str {
        self.cs
            .get(i)
            .filter(|c| c.word)
            .map(|c| c.norm.as_str())
            .unwrap_or("")
    }
    fn n(&self, i: usize) -> &str {
        self.cs.get(i).map(|c| c.norm.as_str()).unwrap_or("")
    }
    fn same_q(&self, i: usize, j: usize) -> bool {
        match (self.cs.get(i), self.cs.get(j)) {
            (Some(a), Some(b)) => a.q == b.q,
            _ => false,
        }
    }
}

/// Resolve a speaker noun phrase `cs[a..b]`; `adjacent` when it stands right
/// before (or after) its reporting verb.
fn resolve_np(ctx: &Ctx, mem: &Memory, a: usize, b: usize, adjacent: bool) -> Option<Speaker> {
    let cs = ctx.cs;
    // Split at commas: the subject is the first piece naming a person
    // ("Kim, senior fellow at X, said"), else the last piece.
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut s = a;
    for (i, c) in cs.iter().enumerate().take(b).skip(a) {
        if !c.word && matches!(c.norm.as_str(), "," | "-" | "(" | ")") {
            if s < i {
                pieces.push((s, i));
            }
            s = i + 1;
        }
    }
    if s < b {
        pieces.push((s, b));
    }
    // Drop leading introductory words of each piece.
    let pieces: Vec<(usize, usize)> = pieces
        .into_iter()
        .map(|(mut x, y)| {
            while x < y && (INTRO_WORDS.contains(&cs[x].norm.as_str()) || !cs[x].word) {
                x += 1;
            }
            (x, y)
        })
        .filter(|(x, y)| x < y)
        .collect();
    let last = *pieces.last()?;
    let first_piece = pieces[0];
    let ok_run = |r: &(usize, usize), piece: (usize, usize)| {
        // "Kim Jong Un's sister": a possessive names someone else, unless it
        // ends the phrase ("in Victor Cha's view").
        (!cs[r.1 - 1].norm.ends_with("'s") || r.1 == piece.1)
            && (r.1 - r.0 >= 2
                || mem.by_part(&cs[r.0].norm).is_some()
                || (adjacent && r.1 == piece.1 && piece.1 == last.1)
                || (adjacent && piece == first_piece && *r == piece && pieces.len() > 1))
    };
    for (pi, &(x, y)) in pieces.iter().enumerate() {
        // An earlier piece names the subject only as "NAME, appositive, said".
        let is_last = pi + 1 == pieces.len();
        let runs = name_runs(cs, x, y);
        if let Some(r) = runs
            .iter()
            .find(|r| ok_run(r, (x, y)) && (is_last || r.1 == y))
        {
            let raw = name_text(ctx.text, ctx.para, cs, r.0, r.1);
            if r.1 - r.0 == 1 {
                let part = cs[r.0].norm.trim_end_matches("'s");
                if OUTLETS.contains(&part) {
                    return Some(Speaker {
                        name: raw,
                        kind: SpeakerKind::Outlet,
                        resolved: None,
                    });
                }
                if let Some(k) = mem.by_part(part) {
                    return Some(Speaker {
                        name: k.name.clone(),
                        kind: SpeakerKind::Person,
                        resolved: (k.name != raw).then(|| format!("'{}' read as {}", raw, k.name)),
                    });
                }
            }
            return Some(Speaker {
                name: raw,
                kind: SpeakerKind::Person,
                resolved: None,
            });
        }
    }
    // The last piece is the subject unless it is an adjunct ("The report,
    // published on Monday, warns"): then the first.
    let adjunct = |w: &str| {
        w.ends_with("ed")
            || w.ends_with("ing")
            || matches!(
                w,
                "in" | "on"
                    | "at"
                    | "for"
                    | "with"
                    | "by"
                    | "from"
                    | "during"
                    | "after"
                    | "before"
                    | "like"
                    | "unlike"
                    | "as"
            )
    };
    // "Russia, China and North Korea declared": a list of names.
    let all_names = pieces.iter().all(|&(x, y)| {
        cs[x..y]
            .iter()
            .all(|c| !c.word || c.cap || c.upper || matches!(c.norm.as_str(), "and" | "the"))
    });
    let (x, y) = if pieces.len() > 1 && all_names {
        (pieces[0].0, last.1)
    } else if pieces.len() > 1
        && adjunct(&cs[last.0].norm)
        && !(pieces[0].0..pieces[0].1).any(|k| is_finite_verb(&cs[k].norm))
    {
        pieces[0]
    } else {
        last
    };
    let words: Vec<&str> = cs[x..y]
        .iter()
        .filter(|c| c.word)
        .map(|c| c.norm.as_str())
        .collect();
    let first = *words.first()?;
    let np_text = text_of(ctx.text, ctx.para, cs, x, y);
    // Pronouns.
    if words.len() == 1 && matches!(first, "he" | "she" | "him" | "her") {
        return Some(match mem.last_speaker(None) {
            Some(k) => Speaker {
                name: k.name.clone(),
                kind: k.kind,
                resolved: Some(format!(
                    "'{}' read as {} (last named speaker)",
                    first, k.name
                )),
            },
            None => Speaker {
                name: first.to_string(),
                kind: SpeakerKind::Unnamed,
                resolved: None,
            },
        });
    }
    if matches!(first, "i" | "my") && cs[x].q.is_none() && words.len() <= 2 {
        return Some(mem.author_speaker(first));
    }
    if matches!(first, "i" | "we" | "it" | "they" | "you" | "this" | "that")
        && words.iter().skip(1).all(|w| SKIP_BEFORE_VERB.contains(w))
    {
        return None;
    }
    // "the expert", "the American diplomat", "the head of X".
    let role = words
        .iter()
        .take(4)
        .take_while(|w| **w != "of")
        .find(|w| ROLE_NOUNS.contains(w))
        .copied();
    if matches!(first, "the" | "this" | "that")
        && let Some(r) = role
    {
        if let Some(k) = mem.last_speaker(Some(r)) {
            return Some(Speaker {
                name: k.name.clone(),
                kind: k.kind,
                resolved: Some(format!(
                    "'{}' read as {} (last speaker of that kind)",
                    np_text, k.name
                )),
            });
        }
        return Some(Speaker {
            name: np_text,
            kind: SpeakerKind::Unnamed,
            resolved: None,
        });
    }
    let named = |kind| {
        Some(Speaker {
            name: strip_det(&np_text),
            kind,
            resolved: None,
        })
    };
    let has_role = words.iter().any(|w| ROLE_NOUNS.contains(w));
    let lower_case = !cs[x..y].iter().any(|c| c.cap && !c.initial);
    if words.iter().any(|w| OUTLETS.contains(w)) && !has_role {
        return named(SpeakerKind::Outlet);
    }
    // "another representative of the State Department", "the report".
    if has_role || (words.len() <= 6 && words.iter().any(|w| DOCUMENTS.contains(w))) {
        return named(SpeakerKind::Unnamed);
    }
    if lower_case && words.iter().any(|w| ORG_HEADS.contains(w)) {
        return named(SpeakerKind::Organisation);
    }
    if lower_case && words.iter().any(|w| GENERIC_SPEAKERS.contains(w)) {
        return named(SpeakerKind::Unnamed);
    }
    // A named institution or a group of countries.
    if cs[x..y].iter().any(|c| c.word && (c.cap || c.upper)) && words.len() <= 12 {
        return named(SpeakerKind::Organisation);
    }
    None
}

/// Documents that "warn" or "say": a report is a speaker without a name.
#[rustfmt::skip]
const DOCUMENTS: &[&str] = &[
    "report", "study", "paper", "analysis", "assessment", "survey", "statement", "document",
    "brief", "briefing", "memo", "article", "editorial", "estimate", "forecast",
];

fn strip_det(s: &str) -> String {
    for d in ["the ", "The ", "a ", "A ", "an ", "An "] {
        if let Some(r) = s.strip_prefix(d) {
            return r.to_string();
        }
    }
    s.to_string()
}

#[rustfmt::skip]
const SKIP_BEFORE_VERB: &[&str] = &[
    "also", "previously", "recently", "earlier", "repeatedly", "again", "firmly", "now", "then",
    "further", "has", "have", "had", "reportedly", "publicly", "openly", "privately", "once",
    "first", "later", "already", "still", "even", "subsequently", "just", "only", "clearly",
    "strongly", "frankly", "bluntly", "separately", "himself", "herself", "themselves",
    "however", "too", "always", "often", "never", "is", "was", "are", "were", "will", "would",
    "since", "not",
];

/// Find the attribution markers of a sentence.
fn find_markers(ctx: &Ctx, mem: &mut Memory) -> Vec<Marker> {
    let cs = ctx.cs;
    let mut out: Vec<Marker> = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if !cs[i].word {
            i += 1;
            continue;
        }
        let w = cs[i].norm.as_str();
        let before = ctx.w(i.wrapping_sub(1));
        let found = if w == "according" && ctx.w(i + 1) == "to" {
            // "according to X"
            np_marker(ctx, mem, i, i + 2, None, "according to".into())
        } else if matches!(
            w,
            "view" | "words" | "opinion" | "assessment" | "estimate" | "verdict" | "prediction"
        ) && ctx.w(i + 1) == "of"
            && matches!(before, "the" | "in")
        {
            // "the verdict of X", "in the view of X"
            np_marker(ctx, mem, i, i + 2, None, format!("the {} of", w))
        } else if w == "by"
            && matches!(
                before,
                "given" | "made" | "expressed" | "voiced" | "stated" | "offered" | "said" | "put"
            )
        {
            // "another reason was given by X"
            np_marker(ctx, mem, i, i + 1, None, format!("{} by", before))
        } else if w == "my"
            && before == "in"
            && cs[i].q.is_none()
            && matches!(
                ctx.w(i + 1),
                "view" | "opinion" | "judgement" | "judgment" | "assessment"
            )
        {
            // "in my view": the author
            Some(Marker {
                verb: i,
                np: (i, i + 1),
                end: i + 1,
                speaker: mem.author_speaker("my"),
                wish: false,
                past: false,
                q: None,
                verb_text: format!("in my {}", ctx.w(i + 1)),
            })
        } else if w.ends_with("'s")
            && cs[i].cap
            && matches!(ctx.w(i + 1), "view" | "opinion" | "assessment" | "words")
        {
            // "in Kim's view"
            let mut a = i;
            while a > 0 && cs[a - 1].word && cs[a - 1].cap {
                a -= 1;
            }
            np_marker(ctx, mem, i, a, Some(i + 1), "view".into()).map(|mut m| {
                m.end = i + 1;
                m
            })
        } else if REPORT_VERBS.contains(&w) {
            verb_marker(ctx, mem, i, out.last())
        } else {
            None
        };
        match found {
            Some(m) => {
                note_marker(ctx, mem, &m);
                i = i.max(m.end) + 1;
                out.push(m);
            }
            None => i += 1,
        }
    }
    out
}

/// A marker whose speaker is the noun phrase `cs[a..b]` (`b`: to the next
/// punctuation or quotation mark when `None`): "according to X".
fn np_marker(
    ctx: &Ctx,
    mem: &Memory,
    at: usize,
    a: usize,
    b: Option<usize>,
    label: String,
) -> Option<Marker> {
    let cs = ctx.cs;
    let b = b.unwrap_or_else(|| {
        let mut b = a;
        while b < cs.len() && cs[b].word && ctx.same_q(a, b) {
            b += 1;
        }
        b
    });
    if b <= a {
        return None;
    }
    let speaker = resolve_np(ctx, mem, a, b, true)?;
    Some(Marker {
        verb: at,
        np: (a, b),
        end: b - 1,
        speaker,
        wish: false,
        past: false,
        q: cs[at].q,
        verb_text: label,
    })
}

/// Remember a marker's speaker (a speaker outside quotations, not an outlet).
fn note_marker(ctx: &Ctx, mem: &mut Memory, m: &Marker) {
    let intro = text_of(ctx.text, ctx.para, ctx.cs, m.np.0, m.np.1);
    let spoke = m.q.is_none() && m.speaker.kind != SpeakerKind::Outlet;
    mem.note(&m.speaker.name, m.speaker.kind, &intro, spoke);
}

fn verb_marker(ctx: &Ctx, mem: &Memory, i: usize, prev: Option<&Marker>) -> Option<Marker> {
    let cs = ctx.cs;
    let w = cs[i].norm.as_str();
    let before = ctx.w(i.wrapping_sub(1));
    let after = ctx.w(i + 1);
    // Not a finite reporting verb: "to say", "the report", "was told".
    if i > 0 && cs[i - 1].word && (before == "to" || DETERMINERS.contains(&before)) {
        return None;
    }
    if matches!(before, "was" | "were" | "been" | "being" | "be") && !matches!(w, "expected") {
        return None;
    }
    if (w == "pointed" && after != "out") || (w == "put" && after != "it") {
        return None;
    }
    if w == "states" && cs[i].cap {
        return None;
    }
    let mut end = i;
    let mut wish = false;
    match w {
        "expressed" | "expresses" => {
            let mut j = i + 1;
            while matches!(ctx.w(j), "the" | "his" | "her" | "their" | "its" | "a") {
                j += 1;
            }
            let obj = ctx.w(j);
            if !matches!(
                obj,
                "hope"
                    | "hopes"
                    | "confidence"
                    | "doubt"
                    | "doubts"
                    | "belief"
                    | "view"
                    | "opinion"
                    | "concern"
                    | "concerns"
                    | "fear"
                    | "fears"
                    | "expectation"
                    | "conviction"
            ) {
                return None;
            }
            wish = matches!(obj, "hope" | "hopes");
            end = j;
        }
        "hope" | "hopes" | "hoped" => {
            wish = after != "to";
        }
        "put" => end = i + 1,
        "quoted" | "quotes" => {
            // "Pompeo quoted Politico" (translated: Politico quoted Pompeo).
            let obj = cs.get(i + 1..).map(|r| {
                r.iter()
                    .take(4)
                    .any(|c| c.word && (OUTLETS.contains(&c.norm.as_str()) || c.upper))
            });
            if obj != Some(true) {
                return None;
            }
            end = i + 1;
            while end + 1 < cs.len() && cs[end + 1].word {
                end += 1;
            }
        }
        _ => {}
    }
    if ctx.w(end + 1) == "that" {
        end += 1;
    } else if let Some(k) = (end + 1..(end + 8).min(cs.len()))
        .take_while(|&k| {
            cs[k].word
                && !is_finite_verb(&cs[k].norm)
                && !REPORT_VERBS.contains(&cs[k].norm.as_str())
        })
        .find(|&k| cs[k].norm == "that")
    {
        end = k;
    } else if matches!(
        w,
        "told" | "tells" | "informed" | "informs" | "warned" | "warns" | "assured" | "reminded"
    ) && let Some(k) = (end + 1..(end + 6).min(cs.len()))
        .take_while(|&k| cs[k].word)
        .find(|&k| cs[k].norm == "that")
    {
        end = k;
    }
    // Subject: back to a boundary, skipping adverbs right before the verb.
    let mut v = i;
    while v > 0 && cs[v - 1].word && SKIP_BEFORE_VERB.contains(&cs[v - 1].norm.as_str()) {
        v -= 1;
    }
    let mut a = v;
    let mut v_end = v;
    let floor = prev
        .map(|m| m.end + 1)
        .unwrap_or(0)
        .max(v.saturating_sub(40));
    while a > floor {
        let c = &cs[a - 1];
        if c.q != cs[i].q {
            break;
        }
        if !c.word && matches!(c.norm.as_str(), ";" | ":" | "\"") {
            break;
        }
        if c.word
            && matches!(
                c.norm.as_str(),
                "that"
                    | "which"
                    | "who"
                    | "whom"
                    | "because"
                    | "since"
                    | "while"
                    | "whereas"
                    | "if"
                    | "although"
                    | "though"
                    | "when"
                    | "unless"
                    | "how"
                    | "what"
                    | "why"
                    | "where"
            )
        {
            // "Kim, who visited Pyongyang, said": the subject is before the
            // relative clause.
            if matches!(c.norm.as_str(), "who" | "which")
                && a >= 2
                && cs[a - 2].norm == ","
                && v_end == v
            {
                v_end = a - 2;
                a -= 2;
                continue;
            }
            break;
        }
        a -= 1;
    }
    let v = v_end;
    let subject_words = (a..v)
        .filter(|&k| cs[k].word && !INTRO_WORDS.contains(&cs[k].norm.as_str()))
        .count();
    let (np, speaker) = if subject_words > 0 {
        let sp = resolve_np(ctx, mem, a, v, true)?;
        ((a, v), sp)
    } else {
        // Inverted: "..., says Yevgeny Kim" / "..., said the expert".
        if !matches!(
            w,
            "said"
                | "says"
                | "added"
                | "adds"
                | "wrote"
                | "writes"
                | "explained"
                | "noted"
                | "argued"
                | "stated"
                | "told"
                | "warned"
                | "insisted"
                | "continued"
                | "recalled"
                | "replied"
                | "answered"
                | "stressed"
                | "emphasized"
                | "emphasised"
                | "asserted"
                | "tweeted"
        ) {
            return None;
        }
        let a = i + 1;
        let mut b = a;
        while b < cs.len()
            && cs[b].word
            && ctx.same_q(a, b)
            && !matches!(
                cs[b].norm.as_str(),
                "who"
                    | "which"
                    | "that"
                    | "in"
                    | "on"
                    | "at"
                    | "during"
                    | "after"
                    | "before"
                    | "when"
                    | "while"
                    | "to"
                    | "about"
                    | "as"
                    | "last"
                    | "this"
                    | "yesterday"
                    | "today"
            )
        {
            b += 1;
        }
        if b == a {
            return None;
        }
        let sp = resolve_np(ctx, mem, a, b, true)?;
        end = b - 1;
        ((a, b), sp)
    };
    Some(Marker {
        verb: i,
        np,
        end,
        speaker,
        wish,
        past: PAST_REPORT_VERBS.contains(&w),
        q: cs[i].q,
        verb_text: cs[i].norm.clone(),
    })
}

// ---------------------------------------------------------------------------
// Per-sentence results carried to the next sentence.

#[derive(Debug, Clone)]
struct Attr {
    speaker: Speaker,
    how: String,
    factor: f64,
    wish: bool,
    past: bool,
    nested: Option<String>,
    /// The governing marker's stream range (to trim it from the quote column).
    marker: Option<(usize, usize)>,
    indirect: bool,
}

#[derive(Debug, Clone)]
struct SentOut {
    /// The indirect attribution in force at the end of the sentence.
    carry: Option<Attr>,
    /// The attribution of a quotation ending in the sentence.
    quote_attr: Option<Attr>,
    /// Carries so far in a chain.
    depth: u32,
}

struct State<'a> {
    text: &'a str,
    lexicon: &'a Lexicon,
    matcher: &'a Matcher,
    mem: Memory,
    drafts: Vec<Draft>,
    line_starts: Vec<usize>,
}

struct SentData {
    range: (usize, usize),
    cs: Vec<C>,
    markers: Vec<Marker>,
}

impl State<'_> {
    fn line_of(&self, byte: usize) -> usize {
        match self.line_starts.binary_search(&byte) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn paragraph(&mut self, para: &Para, prev_para: Option<SentOut>) -> Option<SentOut> {
        // Pass 1: markers and speakers, in text order.
        let mut sents: Vec<SentData> = Vec::new();
        for &range in &para.sents {
            let cs = canonical(para, range);
            let ctx = Ctx {
                text: self.text,
                para,
                cs: &cs,
            };
            let markers = find_markers(&ctx, &mut self.mem);
            let first_word = cs
                .iter()
                .position(|c| c.word && !INTRO_WORDS.contains(&c.norm.as_str()));
            for (a, b) in name_runs(&cs, 0, cs.len()) {
                if b - a == 1
                    && Some(a) == first_word
                    && let Some(k) = self.mem.by_part(&cs[a].norm)
                {
                    let name = k.name.clone();
                    self.mem.note_subject(&name);
                }
                if b - a >= 2 && !cs[b - 1].norm.ends_with("'s") {
                    let name = name_text(self.text, para, &cs, a, b);
                    if Some(a) == first_word {
                        self.mem.note_subject(&name);
                    } else {
                        self.mem.note(&name, SpeakerKind::Person, "", false);
                    }
                }
            }
            sents.push(SentData { range, cs, markers });
        }
        // Attribution of each quotation.
        let quote_attrs = self.quote_attributions(para, &sents, prev_para.as_ref());
        // Pass 2: cues.
        let mut prev = prev_para.map(|p| SentOut {
            carry: None,
            quote_attr: p.quote_attr,
            depth: 0,
        });
        for sd in &sents {
            let out = self.sentence(para, sd, &quote_attrs, prev.as_ref());
            prev = Some(out);
        }
        prev
    }

    fn quote_attributions(
        &self,
        para: &Para,
        sents: &[SentData],
        prev_para: Option<&SentOut>,
    ) -> Vec<Option<Attr>> {
        let sent_of = |tok: usize| {
            sents
                .iter()
                .position(|s| s.range.0 <= tok && tok < s.range.1)
        };
        let mut attrs: Vec<Option<Attr>> = Vec::new();
        for (qi, q) in para.quotes.iter().enumerate() {
            let close_tok = q.close.unwrap_or(para.toks.len().saturating_sub(1));
            let mut found: Option<Attr> = None;
            let direct = |m: &Marker, how: &str| Attr {
                speaker: m.speaker.clone(),
                how: format!("{} ('{}')", how, m.verb_text),
                factor: 1.0,
                wish: m.wish,
                past: m.past,
                nested: None,
                marker: Some((m.np.0.min(m.verb), m.end)),
                indirect: false,
            };
            // After the quotation, in the sentence where it ends.
            if let Some(si) = sent_of(close_tok) {
                let sd = &sents[si];
                if let Some(m) = sd.markers.iter().filter(|m| m.q.is_none()).find(|m| {
                    sd.cs
                        .get(m.np.0.min(m.verb))
                        .is_some_and(|c| c.tok > close_tok)
                }) {
                    // No other quotation in between.
                    let first = sd.cs[m.np.0.min(m.verb)].tok;
                    let next_open = para.quotes.partition_point(|o| o.open <= close_tok);
                    if para.quotes.get(next_open).is_none_or(|o| o.open >= first) {
                        found = Some(direct(m, "direct quote, attributed after it"));
                    }
                }
            }
            // Before the quotation, in the sentence where it opens.
            if found.is_none()
                && let Some(si) = sent_of(q.open)
            {
                let sd = &sents[si];
                if let Some(m) = sd
                    .markers
                    .iter()
                    .filter(|m| m.q.is_none())
                    .rfind(|m| sd.cs.get(m.end).is_some_and(|c| c.tok < q.open))
                {
                    found = Some(direct(m, "direct quote, attributed before it"));
                }
            }
            // "X put it bluntly: “...”": the sentence's subject before the colon.
            if found.is_none()
                && q.open > 0
                && para
                    .toks
                    .get(q.open - 1)
                    .is_some_and(|t| t.kind == Kind::Punct(':'))
                && let Some(si) = sent_of(q.open)
            {
                let sd = &sents[si];
                let colon = sd
                    .cs
                    .iter()
                    .position(|c| c.tok + 1 == q.open && c.norm == ":")
                    .unwrap_or(0);
                let ctx = Ctx {
                    text: self.text,
                    para,
                    cs: &sd.cs,
                };
                let runs = name_runs(&sd.cs, 0, colon);
                let sp = match runs.first() {
                    Some(&(a, b)) => resolve_np(&ctx, &self.mem, a, b, true),
                    None => resolve_np(&ctx, &self.mem, 0, colon, false),
                };
                if let Some(sp) = sp {
                    found = Some(Attr {
                        speaker: sp,
                        how: "direct quote, introduced with a colon".into(),
                        factor: 0.95,
                        wish: false,
                        past: false,
                        nested: None,
                        marker: None,
                        indirect: false,
                    });
                }
            }
            // A reporting verb next to the quotation whose speaker could not
            // be read: do not borrow one from elsewhere.
            let unread = sent_of(close_tok).is_some_and(|si| {
                sents[si].cs.iter().any(|c| {
                    c.word
                        && c.q.is_none()
                        && c.tok > close_tok
                        && REPORT_VERBS.contains(&c.norm.as_str())
                })
            });
            if unread && found.is_none() {
                attrs.push(None);
                continue;
            }
            // The quotation before it in the paragraph (a quote resumed).
            if found.is_none()
                && qi > 0
                && let Some(Some(a)) = attrs.get(qi - 1)
            {
                let mut a = a.clone();
                a.how = format!("quote continues the previous quote of {}", a.speaker.name);
                a.factor = 0.9;
                found = Some(a);
            }
            // The next sentence names the speaker ("So says X." / "X said.").
            if found.is_none()
                && let Some(si) = sent_of(close_tok)
                && let Some(next) = sents.get(si + 1)
                && next.cs.iter().filter(|c| c.word).count() <= 14
                && let Some(m) = next.markers.iter().find(|m| m.q.is_none())
            {
                let mut a = direct(m, "quote attributed in the next sentence");
                a.factor = 0.9;
                a.marker = None;
                found = Some(a);
            }
            // The sentence before it: "X said:" or a speaker just introduced;
            // at a paragraph's start, the previous paragraph's quote.
            if found.is_none()
                && let Some(si) = sent_of(q.open)
            {
                let prev_marker = si
                    .checked_sub(1)
                    .and_then(|p| sents.get(p))
                    .and_then(|s| s.markers.iter().rfind(|m| m.q.is_none()));
                if let Some(m) = prev_marker {
                    let mut a = direct(m, "quote attributed in the previous sentence");
                    a.factor = 0.85;
                    a.marker = None;
                    found = Some(a);
                } else if si == 0
                    && q.open == 0
                    && let Some(a) = prev_para.and_then(|p| p.quote_attr.clone())
                {
                    let mut a = a;
                    a.how = format!(
                        "quote continues {}'s quote in the previous paragraph",
                        a.speaker.name
                    );
                    a.factor = 0.8;
                    a.marker = None;
                    found = Some(a);
                }
            }
            attrs.push(found);
        }
        attrs
    }

    fn sentence(
        &mut self,
        para: &Para,
        sd: &SentData,
        quote_attrs: &[Option<Attr>],
        prev: Option<&SentOut>,
    ) -> SentOut {
        let cs = &sd.cs;
        let ctx = Ctx {
            text: self.text,
            para,
            cs,
        };
        // What this sentence hands on.
        let own_indirect = sd.markers.iter().rfind(|m| m.q.is_none()).map(|m| Attr {
            speaker: m.speaker.clone(),
            how: format!("indirect speech ('{}')", m.verb_text),
            factor: 0.95,
            wish: m.wish,
            past: m.past,
            nested: None,
            marker: Some((m.np.0.min(m.verb), m.end)),
            indirect: true,
        });
        // The last quotation ending in (or running through) this sentence.
        let upto = para.quotes.partition_point(|q| q.open < sd.range.1);
        let last_quote_attr = para.quotes[..upto]
            .iter()
            .enumerate()
            .rev()
            .take_while(|(_, q)| q.close.is_none_or(|c| c >= sd.range.0))
            .find(|(_, q)| q.close.is_none_or(|c| c < sd.range.1))
            .and_then(|(i, _)| quote_attrs.get(i).cloned().flatten())
            .or_else(|| prev.and_then(|p| p.quote_attr.clone()));
        let inherited = prev.and_then(|p| p.carry.clone().map(|c| (c, p.depth)));
        let mut out = SentOut {
            carry: own_indirect.clone(),
            quote_attr: last_quote_attr,
            depth: 0,
        };
        if out.carry.is_none()
            && let Some((c, d)) = &inherited
            && !sd.markers.iter().any(|m| m.q.is_none())
            && !cs.iter().any(|c| c.q.is_some())
        {
            out.carry = Some(c.clone());
            out.depth = d + 1;
        }

        // A question asks; it does not forecast.
        let last_punct = cs.iter().rev().find(|c| !c.word).map(|c| c.norm.as_str());
        if last_punct == Some("?") {
            return out;
        }
        let cues = self.matcher.find(cs);
        if cues.is_empty() && !cs.iter().any(|c| c.word && c.norm.parse::<f64>().is_ok()) {
            return out;
        }
        let mut kept: Vec<Cue> = Vec::new();
        for (a, b, p) in cues {
            if let Some(c) = self.check_cue(&ctx, a, b, p) {
                kept.push(c);
            }
        }
        kept.extend(number_cues(&ctx));
        kept.sort_by_key(|c| c.a);
        // Clauses.
        let bounds = clause_bounds(&ctx);
        let mut clauses: Vec<(usize, usize)> = Vec::new();
        let mut s = 0;
        for &bd in &bounds {
            clauses.push((s, bd));
            s = bd;
        }
        clauses.push((s, cs.len()));
        let sentence_text = {
            let (Some(f), Some(l)) = (
                para.toks.get(sd.range.0),
                para.toks.get(sd.range.1.saturating_sub(1)),
            ) else {
                return out;
            };
            squash(self.text.get(f.start..l.end).unwrap_or(""))
        };
        let line = para
            .toks
            .get(sd.range.0)
            .map(|t| self.line_of(t.start))
            .unwrap_or(0);
        let mut last_reading: Option<(usize, Cue)> = None;
        for (ci, &(ca, cb)) in clauses.iter().enumerate() {
            let in_clause: Vec<&Cue> = kept.iter().filter(|c| c.a >= ca && c.a < cb).collect();
            let primary = in_clause
                .iter()
                .find(|c| c.key != "will" && c.key != "going")
                .or_else(|| in_clause.first())
                .copied();
            let elliptical = primary.is_none()
                && ci > 0
                && matches!(ctx.w(ca), "but" | "yet" | "though" | "although")
                && ctx.w(ca + 1) == "not"
                && !(ca..cb)
                    .take_while(|&k| cs[k].word || k == ca)
                    .any(|k| is_finite_verb(ctx.w(k)));
            let (cue, ellipsis) = match (primary, elliptical, &last_reading) {
                (Some(c), _, _) => (c.clone(), false),
                (None, true, Some((_, prev_cue))) => (prev_cue.clone(), true),
                _ => continue,
            };
            if !ellipsis {
                last_reading = Some((ci, cue.clone()));
            }
            let others: Vec<&Cue> = in_clause.iter().filter(|c| c.a != cue.a).copied().collect();
            let draft = self.draft(
                &ctx,
                DraftIn {
                    cue: &cue,
                    others: &others,
                    clause: (ca, cb),
                    ellipsis,
                    sd,
                    quote_attrs,
                    inherited: inherited.as_ref(),
                    sentence: &sentence_text,
                    line,
                },
            );
            if let Some(d) = draft {
                self.drafts.push(d);
            }
        }
        out
    }
}

fn is_finite_verb(w: &str) -> bool {
    matches!(
        w,
        "will"
            | "would"
            | "is"
            | "are"
            | "was"
            | "were"
            | "has"
            | "have"
            | "had"
            | "can"
            | "could"
            | "may"
            | "might"
            | "should"
            | "must"
            | "does"
            | "do"
            | "did"
    )
}

/// Clause boundaries: ';', ':', "but", "whereas", and ", and/while/although".
fn clause_bounds(ctx: &Ctx) -> Vec<usize> {
    let cs = ctx.cs;
    let mut v = Vec::new();
    for i in 1..cs.len() {
        let n = cs[i].norm.as_str();
        let prev = cs[i - 1].norm.as_str();
        let b = (!cs[i].word && matches!(n, ";" | ":"))
            || (cs[i].word
                && matches!(n, "but" | "whereas" | "yet")
                && prev != "not"
                && !matches!(
                    cs.get(i + 1).map(|c| c.norm.as_str()),
                    Some(
                        "with"
                            | "in"
                            | "on"
                            | "at"
                            | "for"
                            | "from"
                            | "by"
                            | "of"
                            | "without"
                            | "through"
                            | "under"
                            | "via"
                            | "also"
                            | "rather"
                    )
                ))
            || (cs[i].word
                && prev == ","
                && matches!(n, "and" | "while" | "although" | "though" | "so"));
        if b {
            v.push(if cs[i].word { i } else { i + 1 });
        }
    }
    v.retain(|&b| b > 0 && b < cs.len());
    v.dedup();
    v
}

#[derive(Debug, Clone)]
struct Cue {
    /// Stream range of the phrase.
    a: usize,
    b: usize,
    key: String,
    /// A number given in the text ("70 percent"), as a probability.
    number: Option<f64>,
    /// Confidence that the phrase is estimative here.
    weight: f64,
    notes: Vec<String>,
    /// The phrase goes on with "to" ("bound to").
    needs_to: bool,
    /// An unknown modifier before it ("quite likely"): position and word.
    modifier: Option<usize>,
    modifier_text: Option<String>,
}

fn number_cues(ctx: &Ctx) -> Vec<Cue> {
    let cs = ctx.cs;
    let mut out = Vec::new();
    for i in 0..cs.len() {
        let Ok(v) = cs[i].norm.replace(',', "").parse::<f64>() else {
            continue;
        };
        let (pct_end, ok) = match (ctx.n(i + 1), ctx.n(i + 2)) {
            ("%", _) | ("percent", _) => (i + 2, true),
            ("per", "cent") => (i + 3, true),
            _ => (i, false),
        };
        if !ok || !(0.0..=100.0).contains(&v) {
            continue;
        }
        let near = |k: usize| {
            matches!(
                ctx.w(k),
                "chance"
                    | "chances"
                    | "probability"
                    | "likelihood"
                    | "odds"
                    | "likely"
                    | "sure"
                    | "certain"
                    | "confident"
                    | "risk"
            )
        };
        let lo = i.saturating_sub(5);
        if (lo..i).any(near) || (pct_end..(pct_end + 3).min(cs.len())).any(near) {
            out.push(Cue {
                a: i,
                b: pct_end,
                key: String::new(),
                number: Some(v / 100.0),
                weight: 1.0,
                notes: vec![format!(
                    "a number: consider probability = {} instead of a phrase",
                    num(v / 100.0)
                )],
                modifier: None,
                modifier_text: None,
                needs_to: false,
            });
        }
    }
    out
}

struct DraftIn<'a> {
    cue: &'a Cue,
    others: &'a [&'a Cue],
    clause: (usize, usize),
    ellipsis: bool,
    sd: &'a SentData,
    quote_attrs: &'a [Option<Attr>],
    inherited: Option<&'a (Attr, u32)>,
    sentence: &'a str,
    line: usize,
}

const NEGATORS: &[&str] = &["not", "never", "nobody"];
#[rustfmt::skip]
const SKIP_BEFORE_NEG: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "am", "seem", "seems", "seemed",
    "appear", "appears", "really", "so", "that", "particularly", "terribly", "entirely",
    "especially", "yet", "currently", "now", "at", "all", "even", "still", "also", "will",
    "would",
];
const SKIP_AFTER_NEG: &[&str] = &[
    "be", "will", "would", "ever", "yet", "even", "still", "also", "really", "actually", "so",
    "now", "have",
];
const NOT_NEGATION_AFTER: &[&str] = &["only", "just", "necessarily", "least", "quite", "always"];

impl State<'_> {
    /// Filter one phrase match: is it estimative here?
    fn check_cue(&self, ctx: &Ctx, a: usize, b: usize, p: &Phrase) -> Option<Cue> {
        let cs = ctx.cs;
        let key = p.key.as_str();
        let prev = ctx.w(a.wrapping_sub(1));
        let prev_is_word = a > 0 && cs[a - 1].word;
        let next = ctx.n(b);
        let next_is_word = cs.get(b).is_some_and(|c| c.word);
        let mut notes = Vec::new();
        let mut weight = 1.0;
        if p.needs_to && !(next == "to" || (next == "not" && ctx.n(b + 1) == "to")) {
            return None;
        }
        match key {
            "will" => {
                // The noun: "political will", "the will of the people".
                if prev_is_word
                    && matches!(
                        prev,
                        "the"
                            | "a"
                            | "an"
                            | "his"
                            | "her"
                            | "its"
                            | "their"
                            | "our"
                            | "my"
                            | "your"
                            | "political"
                            | "good"
                            | "free"
                            | "ill"
                            | "strong"
                            | "own"
                            | "of"
                            | "with"
                            | "popular"
                            | "collective"
                            | "no"
                    )
                {
                    return None;
                }
                if !next_is_word || matches!(next, "of" | "to" | "and" | "or" | "for") {
                    return None;
                }
                weight = 0.9;
            }
            "going" => {
                let after = ctx.w(b + 1);
                if DETERMINERS.contains(&after)
                    || cs.get(b + 1).is_some_and(|c| c.cap)
                    || after.is_empty()
                {
                    return None;
                }
                weight = 0.9;
            }
            "may" | "might" | "could" => {
                if key == "may" && (cs[a].cap && !cs[a].initial)
                    || next.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || (key == "might" && prev_is_word && DETERMINERS.contains(&prev))
                    || (key == "might"
                        && matches!(prev, "military" | "economic" | "naval" | "nuclear" | "full"))
                {
                    return None;
                }
                // "may have tested": a guess about the past.
                if next == "have" || (next == "not" && ctx.w(b + 1) == "have") {
                    return None;
                }
                if !next_is_word {
                    return None;
                }
                weight = 0.85;
            }
            "plans" | "plan" | "planned" | "planning" | "intends" | "intend" | "intended"
            | "intending" | "hopes" | "hope" | "hoping" | "hoped" | "hopeful" => {
                weight = 0.8;
            }
            "expected" | "expect" | "expects" | "expecting" => {
                if matches!(prev, "as" | "than") {
                    return None;
                }
                if key == "expected"
                    && prev_is_word
                    && DETERMINERS.contains(&prev)
                    && next_is_word
                    && !AFTER_PREDICATIVE.contains(&next)
                {
                    return None;
                }
            }
            "doubt" | "doubts" | "doubted"
                if prev_is_word
                    && (DETERMINERS.contains(&prev)
                        || matches!(
                            prev,
                            "little"
                                | "much"
                                | "serious"
                                | "without"
                                | "beyond"
                                | "in"
                                | "cast"
                                | "raised"
                                | "raise"
                        )) =>
            {
                return None;
            }
            "possibility" => {
                let lo = a.saturating_sub(3);
                if !(lo..a).any(|k| {
                    matches!(
                        ctx.w(k),
                        "there" | "is" | "remains" | "exists" | "see" | "a"
                    )
                }) {
                    return None;
                }
            }
            _ => {}
        }
        let adjective = matches!(
            key,
            "possible"
                | "likely"
                | "unlikely"
                | "probable"
                | "improbable"
                | "certain"
                | "remote"
                | "doubtful"
                | "impossible"
                | "hopeful"
                | "very likely"
                | "highly likely"
                | "very unlikely"
                | "highly unlikely"
                | "almost certain"
                | "nearly certain"
                | "most likely"
                | "quite possible"
                | "very possible"
                | "entirely possible"
                | "highly probable"
                | "highly improbable"
                | "virtually certain"
        );
        if adjective {
            // Attributive: "a possible test", "the most likely scenario".
            if prev_is_word
                && DETERMINERS.contains(&prev)
                && next_is_word
                && !AFTER_PREDICATIVE.contains(&next)
            {
                return None;
            }
            // "as soon as possible", "if possible", "the best possible".
            if matches!(
                prev,
                "as" | "if"
                    | "where"
                    | "when"
                    | "whenever"
                    | "wherever"
                    | "best"
                    | "only"
                    | "every"
                    | "all"
                    | "any"
                    | "fastest"
                    | "earliest"
                    | "widest"
            ) && !matches!(key, "likely" | "unlikely")
            {
                return None;
            }
            if prev == "as" {
                return None;
            }
            // These need a predicative frame.
            if matches!(
                key,
                "certain"
                    | "remote"
                    | "impossible"
                    | "probable"
                    | "improbable"
                    | "doubtful"
                    | "hopeful"
            ) && !(COPULAS.contains(&prev)
                || !next_is_word && b < cs.len()
                || AFTER_PREDICATIVE.contains(&next))
            {
                return None;
            }
            if matches!(key, "likely" | "unlikely" | "possible")
                && next_is_word
                && !AFTER_PREDICATIVE.contains(&next)
                && !COPULAS.contains(&prev)
                && !matches!(
                    prev,
                    "will" | "would" | "could" | "most" | "very" | "quite" | "highly" | "it" | "is"
                )
                && !matches!(
                    next,
                    "will" | "be" | "have" | "has" | "would" | "could" | "can"
                )
            {
                return None;
            }
        }
        // Past: "was expected to", "were likely" (but not after "said that":
        // reported speech shifts tenses back).
        let lo = a.saturating_sub(2);
        let reported = (0..a).any(|k| REPORT_VERBS.contains(&ctx.w(k)) && cs[k].q == cs[a].q);
        if (lo..a).any(|k| matches!(ctx.w(k), "was" | "were" | "had"))
            && !matches!(key, "will" | "may" | "might" | "could")
            && !reported
        {
            weight *= 0.5;
            notes.push(format!(
                "past tense before '{}': an old expectation, not a forecast made now?",
                key
            ));
        }
        // An unknown modifier: "quite likely" is not in the lexicon.
        let modifier = (prev_is_word && MODIFIERS.contains(&prev)).then(|| a - 1);
        Some(Cue {
            a,
            b,
            key: key.to_string(),
            number: None,
            weight,
            notes,
            modifier,
            modifier_text: modifier.map(|_| prev.to_string()),
            needs_to: p.needs_to,
        })
    }

    fn draft(&self, ctx: &Ctx, inp: DraftIn) -> Option<Draft> {
        let cs = ctx.cs;
        let cue = inp.cue;
        let (ca, cb) = inp.clause;
        let mut notes: Vec<String> = Vec::new();
        let mut conf = cue.weight;
        notes.extend(cue.notes.iter().cloned());

        // Hard filters: a wish, a mention of another's claim, a question.
        let before: Vec<&str> = (ca..cue.a).map(|k| ctx.w(k)).collect();
        let sentence_before: Vec<&str> = (0..cue.a).map(|k| ctx.w(k)).collect();
        if let Some(tp) = sentence_before.iter().rposition(|w| *w == "that") {
            let lo = tp.saturating_sub(4);
            if sentence_before[lo..tp]
                .iter()
                .any(|w| MENTION_NOUNS.contains(w))
            {
                return None;
            }
            if tp > 0
                && matches!(
                    sentence_before[tp - 1],
                    "hope" | "hopes" | "hoped" | "wish" | "wishes" | "wished" | "hoping"
                )
            {
                return None;
            }
        }
        if before.iter().any(|w| matches!(*w, "whether"))
            || (ca..cue.a).any(|k| {
                ctx.w(k) == "if"
                    && matches!(
                        ctx.w(k.wrapping_sub(1)),
                        "asked" | "wonder" | "wondered" | "ask" | "know" | "unclear" | "clear"
                    )
            })
        {
            return None;
        }

        // Who said it.
        let attr = self.attribution(ctx, &inp)?;
        if attr.wish {
            return None;
        }
        conf *= attr.factor * attr.speaker.factor();
        notes.insert(0, format!("speaker: {}", attr.how));
        if let Some(r) = &attr.speaker.resolved {
            notes.insert(1, r.clone());
        }
        match attr.speaker.kind {
            SpeakerKind::Organisation => {
                notes.push("speaker is an institution: name a person if the text does".into())
            }
            SpeakerKind::Outlet => {
                notes.push("speaker is a news outlet: who is it quoting?".into())
            }
            SpeakerKind::Unnamed => {
                notes.push(format!("speaker is not named ('{}')", attr.speaker.name))
            }
            SpeakerKind::None => notes.push("no speaker found: the reporter's own words?".into()),
            SpeakerKind::Person => {}
        }
        if let Some(n) = &attr.nested {
            conf *= 0.5;
            notes.push(n.clone());
        }
        if attr.past {
            conf *= 0.5;
            notes.push("reported as recalled: about the past?".into());
        }

        // Context that weakens a forecast reading.
        if cue.a > 0
            && matches!(ctx.w(cue.a - 1), "that" | "which" | "who")
            && cue.a >= 2
            && cs[cue.a - 2].word
            && !REPORT_VERBS.contains(&ctx.w(cue.a - 2))
            && !matches!(
                ctx.w(cue.a - 2),
                "likely"
                    | "possible"
                    | "clear"
                    | "sure"
                    | "certain"
                    | "confident"
                    | "is"
                    | "was"
                    | "so"
                    | "now"
                    | "means"
                    | "shows"
                    | "ensure"
            )
        {
            conf *= 0.6;
            notes.push("in a relative clause: describes something rather than predicts?".into());
        }
        if cs
            .iter()
            .any(|c| c.word && matches!(c.norm.as_str(), "if" | "unless"))
        {
            conf *= 0.8;
            notes.push("conditional ('if'/'unless'): state the condition in the question".into());
        }
        if cs.iter().any(|c| c.word && c.norm == "you")
            && cs
                .iter()
                .any(|c| c.word && matches!(c.norm.as_str(), "can" | "could"))
        {
            conf *= 0.5;
            notes.push("generic 'you can': an explanation rather than a forecast?".into());
        }
        let subject = (ca..cue.a)
            .rev()
            .map(|k| ctx.w(k))
            .find(|w| !w.is_empty() && !SKIP_BEFORE_VERB.contains(w));
        let own_side = matches!(subject, Some("i" | "we"))
            || (matches!(subject, Some("he" | "she")) && attr.indirect);
        // Polarity and reading.
        let neg_before = self.negated_before(ctx, cue, ca);
        let mut neg_after = self.negated_after(ctx, cue, cb);
        // "I don't think X will": the negation belongs to the event.
        let mut event_neg = false;
        if (ca..cue.a).any(|k| {
            NEGATORS.contains(&ctx.w(k))
                && matches!(
                    ctx.w(k + 1),
                    "think" | "believe" | "suppose" | "imagine" | "see" | "anticipate" | "foresee"
                )
        }) {
            event_neg = !event_neg;
            notes.push(
                "negated belief ('don't think ...'): read as about the event not happening".into(),
            );
        }
        // A negated modal later in the clause: "possible that X will not".
        for o in inp.others {
            if o.a > cue.a && self.negated_after(ctx, o, cb) {
                event_neg = !event_neg;
            }
        }
        if inp.ellipsis {
            neg_after = true;
            conf *= 0.9;
        }
        if own_side
            && matches!(
                cue.key.as_str(),
                "will"
                    | "going"
                    | "plans"
                    | "plan"
                    | "intends"
                    | "intend"
                    | "hopes"
                    | "hope"
                    | "guarantee"
            )
        {
            conf *= 0.8;
            notes.push("the speaker's own side: a pledge or a forecast?".into());
            if neg_before.is_some() || neg_after {
                conf *= 0.7;
                notes.push("a refusal by the speaker's side: a statement of position?".into());
            }
        }

        let found = {
            let mut a = cue.a;
            let mut b = cue.b;
            if cue.needs_to && ctx.w(b) == "to" {
                b += 1;
            }
            if let Some(k) = neg_before.filter(|_| !inp.ellipsis) {
                a = a.min(k);
            }
            if let Some(m) = cue.modifier {
                a = a.min(m);
            }
            if inp.ellipsis {
                a = ca;
                b = (ca + 2).min(cb);
            } else if neg_after {
                for k in cue.b..(cue.b + 4).min(cb) {
                    if NEGATORS.contains(&ctx.w(k)) {
                        b = b.max(k + 1);
                        break;
                    }
                }
            }
            text_of(ctx.text, ctx.para, cs, a, b)
        };
        let (verbal, direction, mapped, scale) = self.reading(
            cue,
            neg_before.is_some() && !inp.ellipsis,
            neg_after,
            event_neg,
            &mut notes,
        );
        if inp.ellipsis {
            notes.push(format!(
                "'{}' negates '{}' without a verb of its own: check the phrase and question",
                found, cue.key
            ));
        }

        // The quote column: the clause, without the attribution, within the
        // quotation when the words are quoted.
        let (mut qa, mut qb) = (ca, cb);
        let short_quote = |q: usize| cs.iter().filter(|c| c.word && c.q == Some(q)).count() < 4;
        let eff_q = cs[cue.a].q.filter(|&q| !short_quote(q));
        let q_of = |k: usize| cs[k].q.filter(|&q| !short_quote(q));
        for m in inp.sd.markers.iter().filter(|m| m.q == eff_q) {
            let start = m.np.0.min(m.verb);
            if m.end < cue.a && m.end + 1 > qa {
                qa = m.end + 1;
            } else if m.verb == cue.a && m.np.1 <= cue.a && m.np.1 > qa {
                qa = m.np.1;
            } else if start > cue.b && start < qb {
                qb = start;
            }
        }
        if let Some(q) = eff_q {
            while qa < qb && q_of(qa) != Some(q) {
                qa += 1;
            }
            while qb > qa && q_of(qb - 1) != Some(q) {
                qb -= 1;
            }
        }
        while qa < qb
            && (!cs[qa].word
                || matches!(
                    cs[qa].norm.as_str(),
                    "but" | "and" | "yet" | "so" | "however" | "that"
                ))
        {
            qa += 1;
        }
        while qb > qa && !cs[qb - 1].word {
            qb -= 1;
        }
        if qb > qa + 40 {
            let lo = cue.a.saturating_sub(15).max(qa);
            let hi = (cue.b + 20).min(qb);
            (qa, qb) = (lo, hi);
        }
        let quote = text_of(ctx.text, ctx.para, cs, qa, qb);

        if cs[cue.a].q.is_none() && !attr.how.starts_with("direct") {
            notes.push("indirect speech: the quote is the article's paraphrase".into());
        }
        Some(Draft {
            forecaster: if attr.speaker.kind == SpeakerKind::None {
                String::new()
            } else {
                attr.speaker.name.clone()
            },
            speaker_kind: attr.speaker.kind,
            verbal,
            direction,
            found,
            mapped,
            scale,
            quote,
            sentence: inp.sentence.to_string(),
            line: inp.line,
            confidence: (conf.clamp(0.0, 1.0) * 100.0).round() / 100.0,
            notes,
        })
    }

    /// The position of a negator before the cue, if it negates it.
    fn negated_before(&self, ctx: &Ctx, cue: &Cue, ca: usize) -> Option<usize> {
        let mut k = cue.modifier.unwrap_or(cue.a);
        let mut steps = 0;
        while k > ca && steps < 4 {
            k -= 1;
            let w = ctx.w(k);
            if w.is_empty() {
                return None;
            }
            if NEGATORS.contains(&w) || (w == "no" && k + 1 == cue.a) {
                return Some(k);
            }
            if !SKIP_BEFORE_NEG.contains(&w) {
                return None;
            }
            steps += 1;
        }
        None
    }

    fn negated_after(&self, ctx: &Ctx, cue: &Cue, cb: usize) -> bool {
        let mut k = cue.b;
        let mut steps = 0;
        while k < cb && steps < 3 {
            let w = ctx.w(k);
            if NEGATORS.contains(&w) {
                return !NOT_NEGATION_AFTER.contains(&ctx.w(k + 1));
            }
            if !SKIP_AFTER_NEG.contains(&w) || w.is_empty() {
                return false;
            }
            k += 1;
            steps += 1;
        }
        false
    }

    /// The phrase, direction and reading of a cue. `neg_before`/`neg_after`:
    /// a negation attached to the phrase ("not likely", "will not");
    /// `event_neg`: a negation inside what the phrase is about ("possible
    /// that X will not"), which is always 1 - p.
    fn reading(
        &self,
        cue: &Cue,
        neg_before: bool,
        neg_after: bool,
        event_neg: bool,
        notes: &mut Vec<String>,
    ) -> (String, Direction, Option<Mapped>, String) {
        let none = |d: Direction| (String::new(), d, None, String::new());
        if event_neg && (neg_before || neg_after) {
            notes.push(format!(
                "double negative around '{}': no reading, choose a phrase",
                cue.key
            ));
            return none(Direction::Yes);
        }
        if let Some(p) = cue.number {
            let (d, m) = if neg_before ^ neg_after ^ event_neg {
                (
                    Direction::No,
                    Mapped {
                        p: 1.0 - p,
                        low: 1.0 - p,
                        high: 1.0 - p,
                    },
                )
            } else {
                (Direction::Yes, Mapped { p, low: p, high: p })
            };
            return (String::new(), d, Some(m), "number".into());
        }
        if let Some(m) = &cue.modifier_text {
            let phrase = format!("{} {}", m, cue.key);
            notes.push(format!(
                "'{}' is not in the lexicon (nearest known: {}): choose a phrase, or map it in hindsight.toml",
                phrase,
                self.lexicon
                    .suggest(&phrase, 3)
                    .iter()
                    .map(|s| format!("'{}'", s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return none(if neg_before ^ neg_after ^ event_neg {
                Direction::No
            } else {
                Direction::Yes
            });
        }
        let Some(base) = self.lexicon.lookup(&cue.key) else {
            return none(Direction::Yes);
        };
        let listed = |e: &crate::lexicon::Entry| match &e.derived {
            Some(d) if d.how == How::Form => d.from.clone(),
            _ => e.phrase.clone(),
        };
        if neg_before && neg_after {
            notes.push(format!(
                "double negative around '{}': no reading, choose a phrase",
                cue.key
            ));
            return none(Direction::Yes);
        }
        if event_neg {
            let (p, low, high) = base.mirrored();
            return (
                listed(base),
                Direction::No,
                Some(Mapped { p, low, high }),
                base.source_id().into(),
            );
        }
        if !neg_before && !neg_after {
            return (
                listed(base),
                Direction::Yes,
                Some(Mapped {
                    p: base.point,
                    low: base.low,
                    high: base.high,
                }),
                base.source_id().into(),
            );
        }
        let neg_key = if neg_before {
            format!("not {}", cue.key)
        } else {
            format!("{} not", cue.key)
        };
        match self.lexicon.lookup(&neg_key) {
            // Derived: the positive phrase with direction = no.
            Some(e) if e.derived.as_ref().is_some_and(|d| d.how == How::Negation) => (
                listed(base),
                Direction::No,
                Some(Mapped {
                    p: e.point,
                    low: e.low,
                    high: e.high,
                }),
                e.source_id().into(),
            ),
            // Listed by a scale or the ledger ("probably not", Kent).
            Some(e) => (
                e.phrase.clone(),
                Direction::Yes,
                Some(Mapped {
                    p: e.point,
                    low: e.low,
                    high: e.high,
                }),
                e.source_id().into(),
            ),
            None => {
                notes.push(format!(
                    "'{}' negated has no reading ('not {}' is not 1 - P): choose a phrase, or map it in hindsight.toml",
                    listed(base),
                    listed(base)
                ));
                none(Direction::No)
            }
        }
    }

    /// Who the cue's clause is attributed to.
    fn attribution(&self, ctx: &Ctx, inp: &DraftIn) -> Option<Attr> {
        let cs = ctx.cs;
        let cue = inp.cue;
        let q = cs
            .get(cue.a)?
            .q
            .filter(|&q| cs.iter().filter(|c| c.word && c.q == Some(q)).count() >= 4);
        let markers = &inp.sd.markers;
        let outside_before: Vec<&Marker> = markers
            .iter()
            .filter(|m| m.q.is_none() && m.verb <= cue.a)
            .collect();
        let attr_of = |m: &Marker, factor: f64| Attr {
            speaker: m.speaker.clone(),
            how: format!("indirect speech ('{}')", m.verb_text),
            factor,
            wish: m.wish,
            past: m.past,
            nested: None,
            marker: Some((m.np.0.min(m.verb), m.end)),
            indirect: true,
        };
        let nested_note = |outer: &Speaker, inner: &Speaker| {
            format!(
                "second-hand: {} reports the view of {}",
                outer.name, inner.name
            )
        };
        if let Some(qi) = q {
            let mut a = inp.quote_attrs.get(qi).cloned().flatten().unwrap_or(Attr {
                speaker: Speaker {
                    name: String::new(),
                    kind: SpeakerKind::None,
                    resolved: None,
                },
                how: "direct quote with no speaker found".into(),
                factor: 1.0,
                wish: false,
                past: false,
                nested: None,
                marker: None,
                indirect: false,
            });
            // A report inside the quotation: "X declared that ... will".
            if let Some(m) = markers.iter().rfind(|m| m.q == Some(qi) && m.verb < cue.a)
                && !matches!(m.speaker.name.to_lowercase().as_str(), "i" | "we")
            {
                let outer = a.speaker.clone();
                let inner = attr_of(m, a.factor);
                a = Attr {
                    nested: Some(nested_note(&outer, &inner.speaker)),
                    how: format!("{}; inside a quote of {}", inner.how, outer.name),
                    indirect: false,
                    marker: None,
                    ..inner
                };
                a.past |= inp
                    .quote_attrs
                    .get(qi)
                    .cloned()
                    .flatten()
                    .is_some_and(|o| o.past);
            }
            return Some(a);
        }
        if let Some(m) = outside_before.last() {
            let mut a = attr_of(m, 0.95);
            let earlier = outside_before[..outside_before.len() - 1]
                .iter()
                .rev()
                .find(|o| {
                    o.speaker.kind != SpeakerKind::Outlet && o.speaker.name != m.speaker.name
                });
            if let Some(o) = earlier {
                a.nested = Some(nested_note(&o.speaker, &m.speaker));
            }
            return Some(a);
        }
        if let Some(m) = markers.iter().find(|m| m.q.is_none() && m.verb > cue.a) {
            return Some(attr_of(m, 0.95));
        }
        if let Some((c, depth)) = inp.inherited {
            let mut a = c.clone();
            a.factor = 0.75 * 0.8f64.powi(*depth as i32);
            a.how = format!(
                "carried over from the previous sentence ({} of {})",
                c.how, c.speaker.name
            );
            a.marker = None;
            return Some(a);
        }
        Some(Attr {
            speaker: Speaker {
                name: String::new(),
                kind: SpeakerKind::None,
                resolved: None,
            },
            how: "none found".into(),
            factor: 1.0,
            wish: false,
            past: false,
            nested: None,
            marker: None,
            indirect: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Draft> {
        extract(text, &Lexicon::builtin(), &ExtractOptions::default())
    }

    #[test]
    fn tokenizer_keeps_contractions_names_and_abbreviations() {
        let mut t = Vec::new();
        tokenize(
            "Kim Jong-un won’t go to the U.S. soon, “he said”.",
            0,
            &mut t,
        );
        let w: Vec<&str> = t.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(
            w,
            [
                "kim", "jong-un", "won't", "go", "to", "the", "u.s", ".", "soon", ",", "\"", "he",
                "said", "\"", "."
            ]
        );
    }

    #[test]
    fn sentences_split_after_quotes_not_after_abbreviations() {
        let text = "Mr. Kim said tests will come. “They will.” Dr. Lee agreed? Yes.";
        let d = Doc::new(text);
        assert_eq!(d.paras.len(), 1);
        assert_eq!(d.paras[0].sents.len(), 4, "{:?}", d.paras[0].sents);
    }

    #[test]
    fn quotes_pair_in_every_style() {
        for text in [
            "“We will test,” he said.",
            "\"We will test,\" he said.",
            "„We will test“, he said.",
            "«We will test», he said.",
            "‘We will test,’ he said.",
            "“We will test, ”he said.",
        ] {
            let d = Doc::new(text);
            let p = &d.paras[0];
            assert_eq!(p.quotes.len(), 1, "{text}");
            let inside: Vec<&str> = p
                .toks
                .iter()
                .zip(&p.tok_q)
                .filter(|(t, q)| q.is_some() && t.kind == Kind::Word)
                .map(|(t, _)| t.norm.as_str())
                .collect();
            assert_eq!(inside, ["we", "will", "test"], "{text}");
        }
    }

    #[test]
    fn headings_and_captions_are_not_read_but_bullet_sentences_are() {
        let d = run("North Korea will test soon\n\n• Analysts say it will test\n\nNothing here.");
        assert!(d.is_empty(), "{d:?}");
        let d = run(
            "Predictions:\n• Jenny Town believes talks are unlikely to resume.\n• Photo: Reuters",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].forecaster, "Jenny Town");
        assert_eq!(d[0].line, 2);
    }

    #[test]
    fn decode_rejects_invalid_utf8_with_its_line() {
        assert_eq!(decode_article(b"\xEF\xBB\xBFa\r\nb").unwrap(), "a\nb");
        let e = decode_article(b"ok\nbad \xff here").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
    }

    #[test]
    fn csv_has_the_import_columns_then_review_columns() {
        let d = run("“North Korea will not test,” said Jane Roe.");
        assert_eq!(d.len(), 1);
        let mut out = Vec::new();
        let opts = ExtractOptions {
            source: "https://example.org/a".into(),
            published: NaiveDate::from_ymd_opt(2019, 3, 15),
            ..ExtractOptions::default()
        };
        write_drafts_csv(&mut out, &d, &opts).unwrap();
        let s = String::from_utf8(out).unwrap();
        let mut lines = s.lines();
        assert_eq!(
            lines.next().unwrap(),
            "question_id,forecaster,made_on,probability,verbal,direction,quote,source,recorded_by,confidence,found,mapped_p,mapped_low,mapped_high,scale,sentence,line,note"
        );
        let row = lines.next().unwrap();
        assert!(
            row.starts_with(",Jane Roe,2019-03-15,,will,no,North Korea will not test,https://example.org/a,,0.90,will not,0.05,0.01,0.1,hindsight,"),
            "{row}"
        );
    }
}
