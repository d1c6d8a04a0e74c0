//! How long media takes: WAV header durations for playback, text length for speak and say,
//! `silence_stream://` and `file_string://`, and the files a `say` would play.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::rules::Media;

/// What a playback of `path` does: play for some seconds, or fail as not found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Playable {
    Secs(f64),
    NotFound,
}

/// The duration of a sound path (a `!`-joined `file_string://` sums its parts).
pub fn playback(media: &Media, path: &str) -> Playable {
    if let Some(list) = path.strip_prefix("file_string://") {
        let mut total = 0.0;
        for part in list.split('!') {
            match playback(media, part) {
                Playable::Secs(s) => total += s,
                Playable::NotFound => return Playable::NotFound,
            }
        }
        return Playable::Secs(total);
    }
    if let Some(ms) = path.strip_prefix("silence_stream://") {
        let ms: f64 = ms.split(',').next().unwrap_or("0").parse().unwrap_or(0.0);
        return Playable::Secs(if ms < 0.0 { 3600.0 } else { ms / 1000.0 });
    }
    if path.starts_with("tone_stream://") {
        return Playable::Secs(1.0);
    }
    let file = resolve(media, path);
    match file.as_deref().and_then(wav_seconds) {
        Some(s) => Playable::Secs(s),
        None if file.is_some() => Playable::Secs(media.default_playback),
        None if media.strict_files => Playable::NotFound,
        None => Playable::Secs(media.default_playback),
    }
}

fn resolve(media: &Media, path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    let dir = media.sounds_dir.as_deref()?;
    let full = Path::new(dir).join(p);
    full.exists().then_some(full)
}

/// Seconds of audio in a RIFF/WAVE file: data chunk size over the fmt chunk's byte rate.
pub fn wav_seconds(path: &Path) -> Option<f64> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 4096];
    let n = f.read(&mut buf).ok()?;
    wav_seconds_from(&buf[..n], std::fs::metadata(path).ok()?.len())
}

/// Parses a WAV header held in `head`; `file_len` bounds an open-ended data chunk.
pub fn wav_seconds_from(head: &[u8], file_len: u64) -> Option<f64> {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    let mut pos = 12;
    let mut byte_rate = None;
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32::from_le_bytes(head[pos + 4..pos + 8].try_into().ok()?) as u64;
        if id == b"fmt " && pos + 20 <= head.len() {
            byte_rate = Some(u32::from_le_bytes(
                head[pos + 16..pos + 20].try_into().ok()?,
            ));
        }
        if id == b"data" {
            let rate = f64::from(byte_rate.filter(|r| *r > 0)?);
            let avail = file_len.saturating_sub(pos as u64 + 8);
            return Some(size.min(avail) as f64 / rate);
        }
        pos += 8 + size as usize + (size as usize & 1);
    }
    None
}

/// Seconds a TTS/say text takes at the configured speed (at least half a second).
pub fn text_seconds(media: &Media, text: &str) -> f64 {
    let cps = if media.chars_per_sec > 0.0 {
        media.chars_per_sec
    } else {
        14.0
    };
    (text.chars().count() as f64 / cps).max(0.5)
}

/// A parsed `say` argument: `<module>[:<lang>] <TYPE> <METHOD> [<GENDER>] <text>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Say {
    pub lang: String,
    pub kind: String,
    pub text: String,
}

const GENDERS: &[&str] = &["MASCULINE", "FEMININE", "NEUTER"];

pub fn parse_say(arg: &str) -> Option<Say> {
    let mut it = arg.split_whitespace();
    let module = it.next()?;
    let kind = it.next()?.to_string();
    let _method = it.next()?;
    let mut rest: Vec<&str> = it.collect();
    if rest
        .first()
        .is_some_and(|g| GENDERS.iter().any(|x| x.eq_ignore_ascii_case(g)))
    {
        rest.remove(0);
    }
    let lang = module.split(':').nth(1).unwrap_or(module).to_string();
    Some(Say {
        lang,
        kind,
        text: rest.join(" "),
    })
}

/// The sound files a `say` of this text would open (what filestring::fail names when missing).
pub fn say_files(say: &Say) -> Vec<String> {
    let mut files = Vec::new();
    for part in say.text.split(|c: char| !c.is_ascii_digit()) {
        if part.is_empty() {
            continue;
        }
        files.push(format!(
            "digits/{}.wav",
            part.trim_start_matches('0').max("0")
        ));
    }
    if say.kind.eq_ignore_ascii_case("CURRENCY") {
        files.push("currency/dollars.wav".into());
    }
    if files.is_empty() {
        files.push(format!(
            "{}/{}.wav",
            say.lang,
            say.kind.to_ascii_lowercase()
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(data_len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data_len).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&8000u32.to_le_bytes());
        v.extend_from_slice(&16000u32.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_len.to_le_bytes());
        v.extend(std::iter::repeat_n(0u8, data_len as usize));
        v
    }

    #[test]
    fn wav_header_duration() {
        let w = wav(32000);
        assert_eq!(wav_seconds_from(&w, w.len() as u64), Some(2.0));
        assert_eq!(wav_seconds_from(b"not a wav file", 14), None);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        std::fs::write(&p, &w).unwrap();
        let media = Media::default();
        assert_eq!(playback(&media, p.to_str().unwrap()), Playable::Secs(2.0));
        assert_eq!(
            playback(&media, "silence_stream://1500"),
            Playable::Secs(1.5)
        );
        let strict = Media {
            strict_files: true,
            ..Media::default()
        };
        assert_eq!(playback(&strict, "/nonexistent/x.wav"), Playable::NotFound);
    }

    #[test]
    fn say_parsing() {
        let s = parse_say("ru CURRENCY pronounced 68.27").unwrap();
        assert_eq!(s.lang, "ru");
        assert_eq!(s.text, "68.27");
        assert_eq!(say_files(&s).len(), 3);
        let s = parse_say("say:en NUMBER pronounced FEMININE 5").unwrap();
        assert_eq!((s.lang.as_str(), s.text.as_str()), ("en", "5"));
    }
}
