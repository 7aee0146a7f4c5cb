//! `ten LIKE '...'` on top of the registry's name search.
//!
//! The registry searches names by a keyword, ignoring case and accents, which
//! finds a superset of what a SQL `LIKE` (case- and accent-sensitive) matches.
//! The connector therefore asks the registry for the pattern's longest literal
//! run and applies the full pattern itself, so the answer is exact.

/// Shortest keyword the registry accepts, in characters after folding.
pub(crate) const MIN_KEYWORD_CHARS: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `%`: any sequence, possibly empty.
    Any,
    /// `_`: exactly one character.
    One,
    /// A literal character (`\x` escapes `x`).
    Lit(char),
}

/// A parsed SQL `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Token>);

impl Pattern {
    /// Parses `%` (any sequence), `_` (one character) and `\` (escapes the
    /// next character), as DataFusion's `LIKE` does.
    pub(crate) fn parse(pattern: &str) -> Self {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '%' => Token::Any,
                '_' => Token::One,
                '\\' => Token::Lit(chars.next().unwrap_or('\\')),
                c => Token::Lit(c),
            });
        }
        Self(tokens)
    }

    /// Whether `text` matches the whole pattern.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let p = &self.0;
        // Classic wildcard matching with one backtrack point per `%`.
        let (mut ti, mut pi) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < text.len() {
            match p.get(pi) {
                Some(Token::Any) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(Token::One) => {
                    ti += 1;
                    pi += 1;
                }
                Some(Token::Lit(c)) if *c == text[ti] => {
                    ti += 1;
                    pi += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|t| *t == Token::Any)
    }

    /// The runs of literal characters between wildcards.
    fn literal_runs(&self) -> Vec<String> {
        let mut runs = Vec::new();
        let mut current = String::new();
        for t in &self.0 {
            match t {
                Token::Lit(c) => current.push(*c),
                _ => {
                    if !current.is_empty() {
                        runs.push(std::mem::take(&mut current));
                    }
                }
            }
        }
        if !current.is_empty() {
            runs.push(current);
        }
        runs
    }
}

/// The keyword to search the registry with: the longest literal run of all
/// patterns (every match contains it), trimmed; `None` when no run has
/// [`MIN_KEYWORD_CHARS`] characters.
pub(crate) fn search_keyword(patterns: &[Pattern]) -> Option<String> {
    patterns
        .iter()
        .flat_map(Pattern::literal_runs)
        .map(|run| run.trim().to_owned())
        .filter(|run| fold(run).chars().filter(|c| !c.is_whitespace()).count() >= MIN_KEYWORD_CHARS)
        .max_by_key(|run| run.chars().count())
}

/// Lower-cases and strips Vietnamese diacritics (`đ` → `d`), as the registry
/// compares names.
pub(crate) use lgsp_catalogs::fold;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_sql() {
        let p = Pattern::parse("%HOÀNG PHÁT%");
        assert!(p.matches("CÔNG TY TNHH THƯƠNG MẠI HOÀNG PHÁT"));
        assert!(p.matches("HOÀNG PHÁT"));
        assert!(!p.matches("CÔNG TY TNHH HOANG PHAT"), "accent-sensitive");
        assert!(!p.matches("công ty hoàng phát"), "case-sensitive");
        assert!(Pattern::parse("CÔNG TY%").matches("CÔNG TY CỔ PHẦN AN BÌNH"));
        assert!(!Pattern::parse("CÔNG TY%").matches("DOANH NGHIỆP TƯ NHÂN CÔNG TY"));
        assert!(Pattern::parse("%AN_BÌNH").matches("CÔNG TY AN BÌNH"));
        assert!(!Pattern::parse("%AN_BÌNH").matches("CÔNG TY AN BÌNH X"));
        assert!(Pattern::parse("%").matches(""));
        assert!(Pattern::parse("a%b%c").matches("aXXbYYc"));
        assert!(!Pattern::parse("a%b%c").matches("aXXbYY"));
        assert!(Pattern::parse("100\\%").matches("100%"));
        assert!(!Pattern::parse("100\\%").matches("1000"));
    }

    #[test]
    fn picks_the_longest_literal_run() {
        let kw = |p: &str| search_keyword(&[Pattern::parse(p)]);
        assert_eq!(kw("%HOÀNG PHÁT%").as_deref(), Some("HOÀNG PHÁT"));
        assert_eq!(
            kw("CÔNG TY CỔ PHẦN%AN%").as_deref(),
            Some("CÔNG TY CỔ PHẦN")
        );
        assert_eq!(kw("% AN %").as_deref(), Some("AN"));
        assert_eq!(kw("%A%"), None);
        assert_eq!(kw("%"), None);
        assert_eq!(kw("%A_B%"), None);
    }

    #[test]
    fn folds_accents() {
        assert_eq!(fold("ĐẠI PHÁT"), "dai phat");
        assert_eq!(fold("Thủy sản"), "thuy san");
    }
}
