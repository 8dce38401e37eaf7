//! Course folders uploaded as a `.zip`, unpacked defensively into a folder of our own: limits on
//! the archive's size, on the number of files and on the bytes actually unpacked (a zip bomb
//! stops at the limit, whatever sizes its headers claim), no path outside the folder (`../`,
//! absolute paths, drive letters, backslashes), no links, no encrypted entries, and only the file
//! types the course format allows. Every refusal says what is wrong and what to do; nothing is
//! unpacked unless every entry passed the checks.

use crate::i18n::Lang;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use super::folder::ASSET_TYPES;

/// The competency dictionary's file name; at the top of an archive it sits next to the course
/// folder, as `cakap courses check` finds it.
pub const DICTIONARY: &str = "competencies.toml";

/// What an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The `.zip` itself.
    pub archive_bytes: u64,
    /// All files once unpacked.
    pub unpacked_bytes: u64,
    /// Files (folders not counted).
    pub files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            archive_bytes: 50 * 1024 * 1024,
            unpacked_bytes: 200 * 1024 * 1024,
            files: 1000,
        }
    }
}

/// Why an archive is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    TooBig {
        bytes: u64,
        limit: u64,
    },
    NotZip(String),
    TooManyFiles {
        files: usize,
        limit: usize,
    },
    UnpackedTooBig {
        limit: u64,
    },
    /// An entry unpacks to more than its header declares (headers that lie: a zip bomb's trick).
    SizeLie(String),
    UnsafePath(String),
    Link(String),
    Encrypted(String),
    FileType(String),
    NoCourse,
    Io(String),
}

fn mb(bytes: u64) -> String {
    format!("{} MB", bytes.div_ceil(1024 * 1024))
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::TooBig { bytes, limit } => write!(f, "the archive is {} and the limit is {}; leave out large videos or link to them instead", mb(*bytes), mb(*limit)),
            Refused::NotZip(why) => write!(f, "this is not a readable .zip file ({why}); make the archive again with your system's \"compress\" or \"send to zip\" command"),
            Refused::TooManyFiles { files, limit } => write!(f, "the archive holds {files} files and the limit is {limit}; a course folder needs its .md files and assets only"),
            Refused::UnpackedTooBig { limit } => write!(f, "the files in the archive unpack to more than {}; this looks like a zip bomb or a folder with much more than one course", mb(*limit)),
            Refused::SizeLie(name) => write!(f, "`{name}` unpacks to more than its header declares; the archive is damaged or made to look smaller than it is (a zip bomb); make the archive again with your system's \"compress\" or \"send to zip\" command"),
            Refused::UnsafePath(name) => write!(f, "`{name}` points outside the course folder (an absolute path or `..`); zip the course folder itself"),
            Refused::Link(name) => write!(f, "`{name}` is a link; links are not allowed in a course archive, put the file itself in the folder"),
            Refused::Encrypted(name) => write!(f, "`{name}` is encrypted; make the archive again without a password"),
            Refused::FileType(name) => write!(f, "`{name}` is not a file a course may hold (Markdown .md, competencies.toml, and assets such as .png, .jpg, .svg, .pdf); remove it and zip again"),
            Refused::NoCourse => write!(f, "the archive has no course.md at its top or in one top folder; zip the course folder (the one that holds course.md)"),
            Refused::Io(why) => write!(f, "the archive could not be unpacked: {why}"),
        }
    }
}

impl Refused {
    /// What is wrong and what to do, in the author's language (the English is [`Display`]'s,
    /// also what the command line prints). The zip reader's own words stay out of the
    /// Indonesian: they help nobody who writes courses.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        const AGAIN: &str =
            "buat ulang arsipnya dengan perintah \"Compress\" atau \"Kirim ke > Folder terkompresi (zip)\" di komputer Anda";
        match self {
            Refused::TooBig { bytes, limit } => format!("Arsip ini berukuran {} dan batasnya {}; keluarkan video besar atau tautkan saja.", mb(*bytes), mb(*limit)),
            Refused::NotZip(_) => format!("Berkas ini bukan arsip .zip yang dapat dibaca (rusak, atau format lain seperti .rar); {AGAIN}."),
            Refused::TooManyFiles { files, limit } => format!("Arsip ini berisi {files} berkas dan batasnya {limit}; folder kursus cukup berisi berkas .md dan asetnya."),
            Refused::UnpackedTooBig { limit } => format!("Isi arsip ini lebih dari {} setelah dibuka; ini seperti zip bomb atau folder berisi lebih dari satu kursus.", mb(*limit)),
            Refused::SizeLie(name) => format!("`{name}` lebih besar daripada yang tertulis di arsip; arsipnya rusak atau dibuat tampak lebih kecil (zip bomb); {AGAIN}."),
            Refused::UnsafePath(name) => format!("`{name}` menunjuk ke luar folder kursus (jalur absolut atau `..`); arsipkan folder kursusnya sendiri."),
            Refused::Link(name) => format!("`{name}` adalah tautan (link); arsip kursus tidak boleh memuat tautan, masukkan berkasnya sendiri ke folder."),
            Refused::Encrypted(name) => format!("`{name}` terkunci dengan kata sandi; {AGAIN} tanpa kata sandi."),
            Refused::FileType(name) => format!("`{name}` bukan berkas yang boleh ada di kursus (Markdown .md, competencies.toml, dan aset seperti .png, .jpg, .svg, .pdf); hapus lalu arsipkan lagi."),
            Refused::NoCourse => "Arsip ini tidak memuat course.md di puncaknya atau di satu folder teratas; arsipkan folder kursus (folder yang berisi course.md).".to_string(),
            Refused::Io(_) => format!("Arsip ini tidak dapat dibuka di server; {AGAIN}, lalu unggah lagi."),
        }
    }
}

/// Whether a file of this name may be in a course folder.
pub fn allowed_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name.ends_with(".md") || name == "competencies.toml" {
        return true;
    }
    // what operating systems add on their own, ignored rather than refused
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ASSET_TYPES.iter().any(|(e, _)| *e == ext))
}

/// Files that zip tools add and that are skipped without complaint.
fn is_noise(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("__MACOSX/")
        || path.contains("/__MACOSX/")
        || name == ".DS_Store"
        || name == "Thumbs.db"
        || name == "desktop.ini"
}

/// A relative path with no way out of the folder, or None.
fn safe_relative(name: &str) -> Option<PathBuf> {
    if name.contains('\\') || name.contains('\0') || name.starts_with('/') {
        return None;
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return None; // C:foo
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Unpack `bytes` into `dest` (an empty folder of ours). Returns the course folder inside it:
/// `dest` itself when course.md is at the top, or the one top-level folder that holds it.
pub fn unpack(bytes: &[u8], dest: &Path, limits: &Limits) -> Result<PathBuf, Refused> {
    if bytes.len() as u64 > limits.archive_bytes {
        return Err(Refused::TooBig {
            bytes: bytes.len() as u64,
            limit: limits.archive_bytes,
        });
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| Refused::NotZip(e.to_string()))?;
    // first every entry is judged; nothing is written until all pass
    let plan = judge_entries(&mut zip, limits)?;
    let root = course_root(&plan)?;
    // then unpacked, counting the bytes really produced (headers may lie)
    let mut left = limits.unpacked_bytes;
    for (i, rel) in &plan {
        let mut entry = zip
            .by_index(*i)
            .map_err(|e| Refused::NotZip(e.to_string()))?;
        let written = write_entry(&mut entry, dest, rel, left)?;
        if written > left {
            return Err(Refused::UnpackedTooBig {
                limit: limits.unpacked_bytes,
            });
        }
        left -= written;
    }
    Ok(dest.join(root))
}

/// Judges every entry of the archive: the files to unpack, as (index, relative path), or why
/// the archive is refused.
fn judge_entries(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    limits: &Limits,
) -> Result<Vec<(usize, PathBuf)>, Refused> {
    let mut plan: Vec<(usize, PathBuf)> = Vec::new();
    let mut claimed: u64 = 0;
    let entries = zip.len();
    for i in 0..entries {
        let entry = zip
            .by_index(i)
            .map_err(|e| Refused::NotZip(e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| Refused::NotZip(e.to_string()))?
            .to_string();
        if is_noise(&name) {
            continue;
        }
        let rel = safe_relative(&name).ok_or_else(|| Refused::UnsafePath(name.clone()))?;
        if entry.enclosed_name().is_none() {
            return Err(Refused::UnsafePath(name));
        }
        if entry.is_symlink() {
            return Err(Refused::Link(name));
        }
        if entry.encrypted() {
            return Err(Refused::Encrypted(name));
        }
        if entry.is_dir() {
            continue;
        }
        if !allowed_file(&name) {
            return Err(Refused::FileType(name));
        }
        claimed = claimed.saturating_add(entry.size());
        if claimed > limits.unpacked_bytes {
            return Err(Refused::UnpackedTooBig {
                limit: limits.unpacked_bytes,
            });
        }
        plan.push((i, rel));
        if plan.len() > limits.files {
            return Err(Refused::TooManyFiles {
                files: entries,
                limit: limits.files,
            });
        }
    }
    Ok(plan)
}

/// Where course.md is: the top, or one top folder.
fn course_root(plan: &[(usize, PathBuf)]) -> Result<PathBuf, Refused> {
    if plan.iter().any(|(_, p)| p == Path::new("course.md")) {
        return Ok(PathBuf::new());
    }
    // a competencies.toml next to the course folder (as `courses check` reads it) is allowed
    let mut tops: Vec<PathBuf> = plan
        .iter()
        .filter(|(_, p)| p != Path::new(DICTIONARY))
        .filter_map(|(_, p)| p.components().next().map(|c| PathBuf::from(c.as_os_str())))
        .collect();
    tops.sort();
    tops.dedup();
    match tops.as_slice() {
        [top] if plan.iter().any(|(_, p)| *p == top.join("course.md")) => Ok(top.clone()),
        _ => Err(Refused::NoCourse),
    }
}

/// Writes one entry to `dest/rel` (private to this user), reading at most `left + 1` bytes;
/// returns the bytes written.
fn write_entry(entry: &mut impl Read, dest: &Path, rel: &Path, left: u64) -> Result<u64, Refused> {
    let target = dest.join(rel);
    if let Some(parent) = target.parent() {
        crate::secrets::create_private_dir(parent).map_err(|e| Refused::Io(e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&target)
        .map_err(|e| Refused::Io(e.to_string()))?;
    let mut limited = entry.take(left + 1);
    // the zip crate stops an entry at the size its header declares (that is what stops a
    // lying header first); the count below holds the total whatever the headers say
    let written = std::io::copy(&mut limited, &mut file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData
            && e.to_string().contains("declared uncompressed size")
        {
            Refused::SizeLie(rel.display().to_string())
        } else {
            Refused::NotZip(format!("`{}` cannot be read: {e}", rel.display()))
        }
    })?;
    if written <= left {
        file.flush().map_err(|e| Refused::Io(e.to_string()))?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in files {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const COURSE: &[u8] = b"+++\ntitle = \"Uji\"\nsummary = \"Ringkas.\"\njp = 1\n+++\n\nIsi.\n";

    #[test]
    fn a_course_at_the_top_or_in_one_folder_unpacks() {
        let dir = tempfile::tempdir().unwrap();
        let z = zip_of(&[
            ("course.md", COURSE),
            ("01-materi.md", b"+++\ntitle = \"M\"\n+++\n"),
            ("assets/alur.png", b"png"),
            ("__MACOSX/._course.md", b"x"),
            (".DS_Store", b"x"),
        ]);
        let root = unpack(&z, dir.path(), &Limits::default()).unwrap();
        assert_eq!(root, dir.path());
        assert!(root.join("assets/alur.png").is_file());
        assert!(!root.join(".DS_Store").exists());

        let dir = tempfile::tempdir().unwrap();
        let z = zip_of(&[
            ("pelayanan-prima/course.md", COURSE),
            ("pelayanan-prima/01-materi.md", b"x"),
        ]);
        let root = unpack(&z, dir.path(), &Limits::default()).unwrap();
        assert_eq!(root, dir.path().join("pelayanan-prima"));
        assert!(root.join("course.md").is_file());
    }

    #[test]
    fn paths_outside_the_folder_are_refused_and_nothing_is_written() {
        for bad in [
            "../keluar.md",
            "a/../../keluar.md",
            "/etc/passwd.md",
            "C:/x.md",
            "a\\..\\b.md",
        ] {
            let dir = tempfile::tempdir().unwrap();
            let z = zip_of(&[("course.md", COURSE), (bad, b"x")]);
            let err = unpack(&z, dir.path(), &Limits::default()).unwrap_err();
            assert_eq!(err, Refused::UnsafePath(bad.to_string()), "{bad}");
            assert!(err.to_string().contains("outside the course folder"));
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{bad}");
        }
    }

    #[test]
    fn links_encryption_types_and_missing_course_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("course.md", SimpleFileOptions::default())
            .unwrap();
        w.write_all(COURSE).unwrap();
        w.add_symlink(
            "assets/rahasia.png",
            "/etc/shadow",
            SimpleFileOptions::default(),
        )
        .unwrap();
        let z = w.finish().unwrap().into_inner();
        let err = unpack(&z, dir.path(), &Limits::default()).unwrap_err();
        assert_eq!(err, Refused::Link("assets/rahasia.png".into()));

        let z = zip_of(&[("course.md", COURSE), ("pasang.exe", b"MZ")]);
        assert_eq!(
            unpack(&z, dir.path(), &Limits::default()).unwrap_err(),
            Refused::FileType("pasang.exe".into())
        );
        let z = zip_of(&[("01-materi.md", b"x")]);
        assert_eq!(
            unpack(&z, dir.path(), &Limits::default()).unwrap_err(),
            Refused::NoCourse
        );
        let z = zip_of(&[("a/course.md", COURSE), ("b/course.md", COURSE)]);
        assert_eq!(
            unpack(&z, dir.path(), &Limits::default()).unwrap_err(),
            Refused::NoCourse
        );
        assert!(matches!(
            unpack(b"PK bukan zip", dir.path(), &Limits::default()).unwrap_err(),
            Refused::NotZip(_)
        ));
    }

    #[test]
    fn size_and_count_limits_hold() {
        let limits = Limits {
            archive_bytes: 1024 * 1024,
            unpacked_bytes: 64 * 1024,
            files: 3,
        };
        // a small archive that unpacks big (deflate compresses zeros ~1000:1)
        let dir = tempfile::tempdir().unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        let z = zip_of(&[("course.md", COURSE), ("assets/nol.txt", &zeros)]);
        assert!(z.len() < 16 * 1024, "{}", z.len());
        assert_eq!(
            unpack(&z, dir.path(), &limits).unwrap_err(),
            Refused::UnpackedTooBig { limit: 64 * 1024 }
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let z = zip_of(&[
            ("course.md", COURSE),
            ("01-a.md", b"x"),
            ("02-b.md", b"x"),
            ("03-c.md", b"x"),
        ]);
        assert!(matches!(
            unpack(&z, dir.path(), &limits).unwrap_err(),
            Refused::TooManyFiles { limit: 3, .. }
        ));
        let big = vec![7u8; 2 * 1024 * 1024];
        assert!(matches!(
            unpack(&big, dir.path(), &limits).unwrap_err(),
            Refused::TooBig { .. }
        ));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed: u64 = 0x5eed;
        let z = zip_of(&[("course.md", COURSE), ("01-materi.md", b"isi")]);
        for round in 0..300 {
            let mut bytes = z.clone();
            for _ in 0..(1 + round % 8) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = (seed >> 33) as usize % bytes.len();
                bytes[at] = (seed >> 17) as u8;
            }
            let dir = tempfile::tempdir().unwrap();
            let _ = unpack(&bytes, dir.path(), &Limits::default());
        }
    }
}
