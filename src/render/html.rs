//! The self-contained HTML report page.
//!
//! Owns the page layout and escaping. Everything from the ledger is untrusted:
//! it is HTML-escaped, isolated with `<bdi>` (so right-to-left text cannot
//! reorder the page), and only `http`/`https` sources become links. Charts are
//! embedded as `data:` URIs, so the page works offline and as an e-mail
//! attachment: no scripts, fonts or external stylesheets.

use std::fmt::Write as _;

use base64::Engine as _;

/// Escape text for HTML element content and attribute values.
///
/// ```
/// use hindsight::render::html::escape;
/// assert_eq!(escape("<script>\"x\" & 'y'</script>"), "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Untrusted inline text: escaped and direction-isolated.
pub fn text(s: &str) -> String {
    format!("<bdi>{}</bdi>", escape(s))
}

/// A source: a link when it is an http(s) URL, plain text otherwise.
pub fn source_link(s: &str) -> String {
    let t = s.trim();
    if t.is_empty() {
        return String::new();
    }
    let lower = t.to_ascii_lowercase();
    let is_url = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    if is_url {
        let shown: String = t.chars().take(60).collect();
        let ellipsis = if t.chars().count() > 60 { "…" } else { "" };
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}{}</a>",
            escape(t),
            escape(&shown),
            ellipsis
        )
    } else {
        text(t)
    }
}

/// One embedded chart.
pub struct Chart {
    pub title: String,
    pub caption: String,
    pub png: Vec<u8>,
    pub file: String,
}

/// A table: header cells and rows of already-rendered HTML cells.
pub struct TableHtml {
    pub header: Vec<String>,
    /// Which columns are numeric (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    pub muted: Vec<bool>,
}

impl TableHtml {
    pub fn new(header: &[&str], numeric: &[bool]) -> TableHtml {
        TableHtml {
            header: header.iter().map(|h| h.to_string()).collect(),
            numeric: numeric.to_vec(),
            rows: Vec::new(),
            muted: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>, muted: bool) {
        self.rows.push(cells);
        self.muted.push(muted);
    }

    /// The table as HTML.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    fn render(&self, out: &mut String) {
        out.push_str("<div class=\"scroll\"><table><thead><tr>");
        for (i, h) in self.header.iter().enumerate() {
            let cls = if self.numeric.get(i) == Some(&true) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<th{}>{}</th>", cls, h);
        }
        out.push_str("</tr></thead><tbody>");
        for (r, row) in self.rows.iter().enumerate() {
            out.push_str(if self.muted[r] {
                "<tr class=\"muted\">"
            } else {
                "<tr>"
            });
            for (i, c) in row.iter().enumerate() {
                let cls = if self.numeric.get(i) == Some(&true) {
                    " class=\"num\""
                } else {
                    ""
                };
                let _ = write!(out, "<td{}>{}</td>", cls, c);
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>");
    }
}

/// A section of the page: a heading, paragraphs of HTML, tables and charts.
pub struct Section {
    pub id: String,
    pub heading: String,
    pub intro: Vec<String>,
    pub tables: Vec<TableHtml>,
    pub charts: Vec<Chart>,
    pub after: Vec<String>,
}

impl Section {
    pub fn new(id: &str, heading: &str) -> Section {
        Section {
            id: id.to_string(),
            heading: heading.to_string(),
            intro: Vec::new(),
            tables: Vec::new(),
            charts: Vec::new(),
            after: Vec::new(),
        }
    }
}

/// The whole page.
pub struct Page {
    pub title: String,
    pub subtitle: String,
    /// Headline figures: (label, value, note).
    pub headline: Vec<(String, String, String)>,
    pub sections: Vec<Section>,
    pub footer: String,
}

const CSS: &str = "
:root{color-scheme:light;--ink:#1d232b;--muted:#68707c;--line:#dde1e6;--accent:#1f5fa8;--bg:#fff;--soft:#f4f6f8}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:1.2rem 1rem 3rem}
h1{font-size:1.7rem;margin:.2rem 0}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-top:.6rem;border-top:2px solid var(--line)}
h3{font-size:1.08rem;margin:1.4rem 0 .4rem}
p{margin:.5rem 0}
.sub{color:var(--muted);margin:0 0 1rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem;font-size:.92rem;margin:.6rem 0 1rem}
a{color:var(--accent);overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.7rem;margin:1rem 0}
.card{background:var(--soft);border-radius:8px;padding:.7rem .8rem}
.card .v{font-size:1.45rem;font-weight:600}
.card .l{font-size:.85rem;color:var(--muted)}
.card .n{font-size:.78rem;color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.35rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere;max-width:28rem}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.muted td{color:var(--muted)}
figure{margin:1rem 0}
figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:.85rem;color:var(--muted)}
.yes{color:#1b7a3a;font-weight:600}.no{color:#a3321f;font-weight:600}
q{font-style:italic}
footer{margin-top:3rem;font-size:.8rem;color:var(--muted)}
@media (max-width:600px){body{font-size:15px}h1{font-size:1.35rem}th,td{padding:.3rem .35rem}}
";

/// Render the page as one self-contained HTML document.
pub fn render(page: &Page) -> String {
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n");
    let _ = writeln!(o, "<title>{}</title>", escape(&page.title));
    let _ = writeln!(o, "<style>{}</style>\n</head>\n<body>\n<main>", CSS);
    let _ = writeln!(
        o,
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>",
        escape(&page.title),
        page.subtitle
    );
    o.push_str("<nav>");
    for s in &page.sections {
        let _ = write!(
            o,
            "<a href=\"#{}\">{}</a>",
            escape(&s.id),
            escape(&s.heading)
        );
    }
    o.push_str("</nav>\n<div class=\"cards\">");
    for (l, v, n) in &page.headline {
        let _ = write!(
            o,
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"l\">{}</div><div class=\"n\">{}</div></div>",
            v, l, n
        );
    }
    o.push_str("</div>\n");
    for s in &page.sections {
        let _ = writeln!(
            o,
            "<section id=\"{}\">\n<h2>{}</h2>",
            escape(&s.id),
            escape(&s.heading)
        );
        for p in &s.intro {
            let _ = writeln!(o, "<p>{}</p>", p);
        }
        for t in &s.tables {
            t.render(&mut o);
        }
        for c in &s.charts {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&c.png);
            let _ = writeln!(
                o,
                "<figure><img src=\"data:image/png;base64,{}\" alt=\"{}\" width=\"900\"><figcaption>{} <a href=\"{}\">({})</a></figcaption></figure>",
                b64,
                escape(&c.title),
                c.caption,
                escape(&c.file),
                escape(&c.file)
            );
        }
        for p in &s.after {
            let _ = writeln!(o, "{}", p);
        }
        o.push_str("</section>\n");
    }
    let _ = writeln!(
        o,
        "<footer>{}</footer>\n</main>\n</body>\n</html>",
        page.footer
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_become_links_only_when_safe() {
        assert!(
            source_link("https://example.org/a?b=1&c=2")
                .starts_with("<a href=\"https://example.org/a?b=1&amp;c=2\"")
        );
        assert!(!source_link("javascript:alert(1)").contains("<a"));
        assert!(
            !source_link("https://x.org/\" onmouseover=\"alert(1)")
                .contains("href=\"https://x.org/\" onmouseover")
        );
        assert_eq!(source_link(""), "");
        assert!(source_link("RT interview, March 2019").starts_with("<bdi>"));
    }

    #[test]
    fn text_is_isolated_and_escaped() {
        assert_eq!(text("\u{202E}<b>"), "<bdi>\u{202E}&lt;b&gt;</bdi>");
    }
}
