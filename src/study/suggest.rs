//! "Did you mean": the known name closest to a mistyped one.

/// The candidate closest to `word`, if close enough to be a slip (as clap judges its own
/// suggestions: Jaro similarity above 0.7).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro(word, c), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn slips_are_matched_and_strangers_are_not() {
        let names = ["run", "compare", "check", "remedies"];
        assert_eq!(super::closest("compair", names), Some("compare"));
        assert_eq!(super::closest("chekc", names), Some("check"));
        assert_eq!(super::closest("incident", names), None);
    }
}
