//! `amadmin CONF version` output: the Amanda release and the compile-time port ranges that no
//! configuration file holds (`UDPPORTRANGE=850,859` in 2.x, `--with-udpportrange=LO,HI` among
//! the `CONFIGURE_ARGS` of 3.x).

use super::source::{ImportError, Loc, SourceText};

/// What the build reports about itself.
#[derive(Clone, Debug, Default)]
pub struct Build {
    /// The release as printed (`3.5.1`, `2.4.4p3`) and where.
    pub release: Option<(String, Loc)>,
    /// The UDP range compiled in, and where it was read.
    pub udpportrange: Option<((u16, u16), Loc)>,
}

/// Reads the output; a file with no `VERSION=` is not this command's output.
pub fn parse(src: &SourceText) -> Result<Build, ImportError> {
    let mut b = Build::default();
    for (i, line) in src.text.lines().enumerate() {
        let n = i + 1;
        if let Some(at) = line.find("VERSION=\"") {
            let rest = &line[at + 9..];
            let value = rest.split('"').next().unwrap_or("");
            let release = value.strip_prefix("Amanda-").unwrap_or(value).to_string();
            if !release.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(src.syntax(n, at + 10, "VERSION should read \"Amanda-X.Y.Z\""));
            }
            b.release = Some((release, src.loc(n, at + 1)));
        }
        for key in ["UDPPORTRANGE=", "--with-udpportrange="] {
            let mut from = 0;
            while let Some(off) = line[from..].find(key) {
                let at = from + off;
                from = at + key.len();
                // LISTEN_UDPPORTRANGE and the like are other settings.
                let prev = line[..at].chars().last();
                if key == "UDPPORTRANGE="
                    && prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    continue;
                }
                let value: String = line[from..]
                    .trim_start_matches('"')
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == ' ')
                    .collect();
                let col = line[..from].chars().count() + 1;
                let parts: Vec<&str> = value.split(',').map(str::trim).collect();
                let range = match parts.as_slice() {
                    [lo, hi] => lo.parse::<u16>().ok().zip(hi.parse::<u16>().ok()),
                    _ => None,
                };
                match range {
                    Some((lo, hi)) if lo <= hi => {
                        b.udpportrange = Some(((lo, hi), src.loc(n, col)))
                    }
                    _ => {
                        return Err(src.syntax(
                            n,
                            col,
                            "the port range should read LOW,HIGH with LOW <= HIGH, e.g. 850,859",
                        ));
                    }
                }
            }
        }
    }
    if b.release.is_none() {
        return Err(src.syntax(
            1,
            1,
            "no VERSION=\"Amanda-...\" line: give the output of `amadmin CONF version`",
        ));
    }
    Ok(b)
}

/// The scenario's version profile for an Amanda release, and a note when it is an approximation.
pub fn profile_for(release: &str) -> Option<(String, Option<String>)> {
    let numeric: String = release
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let parts: Vec<u32> = numeric.split('.').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [2, 4, p, ..] if *p < 2 => Some((
            "2.4".into(),
            Some(format!(
                "{release}: profile 2.4 models 2.4.2-2.4.5 (the range fallback came in 2.4.2)"
            )),
        )),
        [2, 4, ..] => Some(("2.4".into(), None)),
        [2, 5] | [2, 5, 0, ..] => Some(("2.5.0".into(), None)),
        [2, 5, 1, ..] => Some(("2.5.1".into(), None)),
        [2, 5, ..] => Some(("2.5.2".into(), None)),
        [2, 6..=9, ..] => Some((
            "2.5.2".into(),
            Some(format!(
                "{release}: modelled as 2.5.2 (no fallback; rescan while the range is full)"
            )),
        )),
        [3, ..] => Some((numeric, None)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_four_style_def_line() {
        let b = parse(&SourceText::inline(
            "v",
            "build: VERSION=\"Amanda-2.4.4p3\"\ndefs:  DEFAULT_SERVER=\"amanda\"\n       UDPPORTRANGE=\"850,859\" TCPPORTRANGE=\"11000,11100\"\n",
        ))
        .unwrap();
        assert_eq!(b.release.unwrap().0, "2.4.4p3");
        let (r, loc) = b.udpportrange.unwrap();
        assert_eq!(r, (850, 859));
        assert_eq!((loc.line, loc.col), (3, 21));
    }

    #[test]
    fn bad_range_is_a_syntax_error() {
        let e = parse(&SourceText::inline(
            "v",
            "build: VERSION=\"Amanda-2.4.4\"\n UDPPORTRANGE=859,850\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("v:2:15: the port range"), "{e}");
        let e = parse(&SourceText::inline("v", "hello\n"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("v:1:1: no VERSION"), "{e}");
    }

    #[test]
    fn releases_map_to_profiles() {
        assert_eq!(profile_for("2.4.4p3").unwrap().0, "2.4");
        assert_eq!(profile_for("2.5.1p3").unwrap().0, "2.5.1");
        assert_eq!(profile_for("2.6.1").unwrap().0, "2.5.2");
        assert_eq!(profile_for("3.5.1").unwrap().0, "3.5.1");
        assert!(profile_for("1.0").is_none());
    }
}
