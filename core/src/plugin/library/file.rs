//! The check of a plugin file before dlopen: dlopen maps the file and faults (SIGBUS) on a page
//! past its end, or runs whatever it finds, so a file that is not a complete shared library for
//! this platform is refused first, with what is wrong. Parsing is the `object` crate's.

use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::{Architecture, BinaryFormat, Endianness, FileKind, Object, ObjectKind, ObjectSegment, elf};

/// Why a file is not a shared library this host can load, found by [`check_file`] before the
/// file is opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileProblem {
    /// Zero bytes long.
    #[error("the file is empty (0 bytes)")]
    Empty,
    /// Not an object file at all, or one that is not a shared library.
    #[error("not a shared library: {0}")]
    NotShared(String),
    /// An object file of another platform's format.
    #[error(
        "not a shared library for this platform: it is a {found} file, but this host loads {expected} libraries"
    )]
    WrongFormat {
        /// The file's format, e.g. `Mach-O`.
        found: &'static str,
        /// This host's format, e.g. `ELF`.
        expected: &'static str,
    },
    /// Built for another platform: `what` is `architecture`, `word size` or `byte order`.
    #[error("built for another {what}: {found}, but this host is {expected}")]
    WrongTarget {
        /// What differs.
        what: &'static str,
        /// The file's, e.g. `Aarch64`.
        found: String,
        /// This host's, e.g. `X86_64`.
        expected: String,
    },
    /// A table or segment the loader would read lies past the end of the file.
    #[error("the file is truncated: {what} ends at byte {end}, but the file has {len} bytes")]
    Truncated {
        /// What is cut off, e.g. `loadable segment 3`.
        what: String,
        /// Where it should end.
        end: u64,
        /// The file's length.
        len: u64,
    },
    /// The headers contradict themselves.
    #[error("malformed {format} file: {message}")]
    Malformed {
        /// The file's format.
        format: &'static str,
        /// What the parser found wrong.
        message: String,
    },
}

/// The format of this platform's shared libraries.
const HOST_FORMAT: BinaryFormat = if cfg!(target_vendor = "apple") {
    BinaryFormat::MachO
} else if cfg!(windows) {
    BinaryFormat::Pe
} else {
    BinaryFormat::Elf
};

/// This host's architecture as `object` names it; `None` for one not listed here, whose
/// libraries are then not checked for architecture (dlopen still refuses them, by message).
fn host_architecture() -> Option<Architecture> {
    Some(if cfg!(target_arch = "x86_64") {
        if cfg!(target_pointer_width = "32") { Architecture::X86_64_X32 } else { Architecture::X86_64 }
    } else if cfg!(target_arch = "aarch64") {
        if cfg!(target_pointer_width = "32") { Architecture::Aarch64_Ilp32 } else { Architecture::Aarch64 }
    } else if cfg!(target_arch = "x86") {
        Architecture::I386
    } else if cfg!(target_arch = "arm") {
        Architecture::Arm
    } else if cfg!(target_arch = "riscv64") {
        Architecture::Riscv64
    } else if cfg!(target_arch = "riscv32") {
        Architecture::Riscv32
    } else if cfg!(target_arch = "powerpc64") {
        Architecture::PowerPc64
    } else if cfg!(target_arch = "s390x") {
        Architecture::S390x
    } else if cfg!(target_arch = "loongarch64") {
        Architecture::LoongArch64
    } else {
        return None;
    })
}

fn format_name(format: BinaryFormat) -> &'static str {
    match format {
        BinaryFormat::Elf => "ELF",
        BinaryFormat::MachO => "Mach-O",
        BinaryFormat::Pe => "PE",
        BinaryFormat::Coff => "COFF",
        BinaryFormat::Wasm => "WebAssembly",
        BinaryFormat::Xcoff => "XCOFF",
        _ => "unknown",
    }
}

fn word_size(is_64: bool) -> String {
    (if is_64 { "64-bit" } else { "32-bit" }).to_owned()
}

fn byte_order(little: bool) -> String {
    (if little { "little-endian" } else { "big-endian" }).to_owned()
}

/// Checks that `data` (a whole file) is a complete shared library for this platform: its
/// format, that it is a shared library (not an executable nor an object file), the word size,
/// byte order and architecture, and, for ELF, that the program headers, every segment and the
/// section headers lie inside the file. What passes can be handed to dlopen without a fault.
///
/// # Errors
/// The first problem found.
pub fn check_file(data: &[u8]) -> Result<(), FileProblem> {
    if data.is_empty() {
        return Err(FileProblem::Empty);
    }
    // An ELF magic is enough to read the rest as ELF: a file cut inside its header is then
    // reported as truncated, not as unrecognised.
    let format = if data.starts_with(&object::elf::ELFMAG) {
        BinaryFormat::Elf
    } else {
        match FileKind::parse(data) {
            Ok(FileKind::Elf32 | FileKind::Elf64) => BinaryFormat::Elf,
            Ok(FileKind::MachO32 | FileKind::MachO64 | FileKind::MachOFat32 | FileKind::MachOFat64) => {
                BinaryFormat::MachO
            }
            Ok(FileKind::Pe32 | FileKind::Pe64) => BinaryFormat::Pe,
            Ok(FileKind::Coff | FileKind::CoffBig | FileKind::CoffImport) => BinaryFormat::Coff,
            _ => return Err(FileProblem::NotShared(unrecognised(data))),
        }
    };
    if format != HOST_FORMAT {
        return Err(FileProblem::WrongFormat {
            found: format_name(format),
            expected: format_name(HOST_FORMAT),
        });
    }
    if format == BinaryFormat::Elf {
        // Byte 4 of the identification is the class (32- or 64-bit).
        if data.get(4) == Some(&elf::ELFCLASS32.0) {
            check_elf::<elf::FileHeader32<Endianness>>(data)?;
        } else {
            check_elf::<elf::FileHeader64<Endianness>>(data)?;
        }
    }
    let malformed =
        |e: object::Error| FileProblem::Malformed { format: format_name(format), message: e.to_string() };
    let file = object::File::parse(data).map_err(malformed)?;
    if file.kind() != ObjectKind::Dynamic {
        return Err(FileProblem::NotShared(match file.kind() {
            ObjectKind::Executable => "it is an executable".to_owned(),
            ObjectKind::Relocatable => "it is a relocatable object file (.o)".to_owned(),
            ObjectKind::Core => "it is a core dump".to_owned(),
            _ => format!("it is a {} file of unknown kind", format_name(format)),
        }));
    }
    check_target(file.is_64(), file.is_little_endian(), Some(file.architecture()))?;
    let len = data.len() as u64;
    for (i, segment) in file.segments().enumerate() {
        let (offset, size) = segment.file_range();
        let end = offset.saturating_add(size);
        if end > len {
            return Err(FileProblem::Truncated { what: format!("segment {i}"), end, len });
        }
    }
    Ok(())
}

/// What an unrecognised file looks like, for the message.
fn unrecognised(data: &[u8]) -> String {
    let head = &data[..data.len().min(512)];
    let text =
        std::str::from_utf8(head).is_ok_and(|t| t.chars().all(|c| !c.is_control() || c.is_whitespace()));
    if text {
        "it is a text file".to_owned()
    } else {
        let first: Vec<String> = data.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("unrecognised format (it starts with bytes {})", first.join(" "))
    }
}

/// Word size, byte order and architecture against this host's.
fn check_target(is_64: bool, little: bool, architecture: Option<Architecture>) -> Result<(), FileProblem> {
    let host_64 = cfg!(target_pointer_width = "64");
    if is_64 != host_64 {
        return Err(FileProblem::WrongTarget {
            what: "word size",
            found: word_size(is_64),
            expected: word_size(host_64),
        });
    }
    let host_little = cfg!(target_endian = "little");
    if little != host_little {
        return Err(FileProblem::WrongTarget {
            what: "byte order",
            found: byte_order(little),
            expected: byte_order(host_little),
        });
    }
    if let (Some(found), Some(expected)) = (architecture, host_architecture())
        && found != expected
    {
        return Err(FileProblem::WrongTarget {
            what: "architecture",
            found: format!("{found:?}"),
            expected: format!("{expected:?}"),
        });
    }
    Ok(())
}

/// The ELF-specific checks, in the order the loader reads: header, word size and byte order,
/// file type, program header table, each segment's bytes, section header table.
fn check_elf<H: FileHeader<Endian = Endianness>>(data: &[u8]) -> Result<(), FileProblem> {
    let len = data.len() as u64;
    let truncated = |what: &str, end: u64| FileProblem::Truncated { what: what.to_owned(), end, len };
    let malformed = |message: String| FileProblem::Malformed { format: "ELF", message };
    let header_size = size_of::<H>() as u64;
    if len < header_size {
        return Err(truncated("the ELF header", header_size));
    }
    let header = H::parse(data).map_err(|e| malformed(e.to_string()))?;
    check_target(header.is_class_64(), header.is_little_endian(), None)?;
    let endian = header.endian().map_err(|e| malformed(e.to_string()))?;
    match header.e_type(endian) {
        elf::ET_DYN => {}
        elf::ET_EXEC => return Err(FileProblem::NotShared("it is an executable".into())),
        elf::ET_REL => return Err(FileProblem::NotShared("it is a relocatable object file (.o)".into())),
        elf::ET_CORE => return Err(FileProblem::NotShared("it is a core dump".into())),
        other => return Err(FileProblem::NotShared(format!("it is an ELF file of type {}", other.0))),
    }
    // A table of `count` entries of `size` bytes at `offset`: where it ends.
    let table_end = |offset: u64, count: u64, size: u16| {
        count.checked_mul(u64::from(size)).and_then(|n| n.checked_add(offset)).unwrap_or(u64::MAX)
    };
    let phoff: u64 = header.e_phoff(endian).into();
    if phoff != 0 {
        let end = table_end(phoff, u64::from(header.e_phnum(endian)), header.e_phentsize(endian));
        if end > len {
            return Err(truncated("the program header table", end));
        }
    }
    let segments = header.program_headers(endian, data).map_err(|e| malformed(e.to_string()))?;
    // Loadable segments first: they are what dlopen maps, and a page of one past the end of the
    // file is the fault. Then the others the loader or the runtime read (interpreter, dynamic,
    // notes, unwind tables).
    let loads_first = segments
        .iter()
        .enumerate()
        .filter(|(_, ph)| ph.p_type(endian) == elf::PT_LOAD)
        .chain(segments.iter().enumerate().filter(|(_, ph)| ph.p_type(endian) != elf::PT_LOAD));
    let mut pie = false;
    for (i, ph) in loads_first {
        let (offset, size): (u64, u64) = (ph.p_offset(endian).into(), ph.p_filesz(endian).into());
        let end = offset.saturating_add(size);
        if end > len {
            let what = match ph.p_type(endian) {
                elf::PT_LOAD => format!("loadable segment {i}"),
                elf::PT_DYNAMIC => format!("dynamic segment {i}"),
                elf::PT_INTERP => format!("interpreter segment {i}"),
                other => format!("segment {i} (type {:#x})", other.0),
            };
            return Err(truncated(&what, end));
        }
        if let Some(entries) = ph.dynamic(endian, data).map_err(|e| malformed(e.to_string()))? {
            pie |= entries.iter().any(|d| {
                d.d_tag(endian) == elf::DT_FLAGS_1
                    && Into::<u64>::into(d.d_val(endian)) & elf::DF_1_PIE.0 != 0
            });
        }
    }
    if pie {
        return Err(FileProblem::NotShared("it is an executable (position-independent)".into()));
    }
    let shoff: u64 = header.e_shoff(endian).into();
    if shoff != 0 {
        // With more than 0xff00 sections the count lives in section 0 (read by `shnum` below).
        let count = match header.e_shnum(endian) {
            0 => 1,
            n => u64::from(n),
        };
        let end = table_end(shoff, count, header.e_shentsize(endian));
        if end > len {
            return Err(truncated("the section header table", end));
        }
        let count = header.shnum(endian, data).map_err(|e| malformed(e.to_string()))? as u64;
        let end = table_end(shoff, count, header.e_shentsize(endian));
        if end > len {
            return Err(truncated("the section header table", end));
        }
    }
    header.section_headers(endian, data).map_err(|e| malformed(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A real shared library of this host: the C library this test process has mapped.
    fn real_library() -> (PathBuf, Vec<u8>) {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        let path = maps
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .find(|p| p.contains("/libc.so") || p.contains("/libc-"))
            .map(PathBuf::from)
            .expect("this test process maps the C library");
        let bytes = std::fs::read(&path).expect("the C library is readable");
        (path, bytes)
    }

    /// `bytes` with `patch` written at `offset`.
    fn patched(bytes: &[u8], offset: usize, patch: &[u8]) -> Vec<u8> {
        let mut b = bytes.to_vec();
        b[offset..offset + patch.len()].copy_from_slice(patch);
        b
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn a_real_shared_library_passes() {
        let (path, bytes) = real_library();
        assert_eq!(check_file(&bytes), Ok(()), "{}", path.display());
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert_eq!(check_file(&[]), Err(FileProblem::Empty));
        assert_eq!(FileProblem::Empty.to_string(), "the file is empty (0 bytes)");
    }

    #[test]
    fn text_and_unknown_bytes_are_not_libraries() {
        let e = check_file(b"this is not a library\n").unwrap_err();
        assert_eq!(e, FileProblem::NotShared("it is a text file".into()));
        let e = check_file(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "not a shared library: unrecognised format (it starts with bytes de ad be ef)"
        );
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn truncated_libraries_are_refused_naming_what_is_cut_off() {
        let (_, bytes) = real_library();
        let len = bytes.len();
        let cut = |n: usize| check_file(&bytes[..n]).unwrap_err();
        // ELF magic, then nothing: the header is cut.
        assert!(
            matches!(cut(10), FileProblem::Truncated { ref what, end: 64, len: 10 } if what == "the ELF header")
        );
        assert!(
            matches!(cut(100), FileProblem::Truncated { ref what, .. } if what == "the program header table"),
            "{}",
            cut(100)
        );
        // Cut inside the code: a loadable segment (what dlopen would fault on).
        let half = cut(len / 2);
        assert!(
            matches!(half, FileProblem::Truncated { ref what, .. } if what.starts_with("loadable segment")),
            "{half}"
        );
        assert!(half.to_string().contains(&format!("but the file has {} bytes", len / 2)), "{half}");
        // The last byte: the section headers at the end.
        let last = cut(len - 1);
        assert!(
            matches!(last, FileProblem::Truncated { ref what, .. } if what == "the section header table"),
            "{last}"
        );
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn executables_and_object_files_are_not_shared_libraries() {
        // This test program: a position-independent executable (ET_DYN with DF_1_PIE).
        let exe = std::fs::read(std::env::current_exe().expect("test binary")).expect("readable");
        let e = check_file(&exe).unwrap_err();
        assert_eq!(e, FileProblem::NotShared("it is an executable (position-independent)".into()));
        // e_type (offset 16): ET_EXEC, ET_REL, ET_CORE.
        let (_, lib) = real_library();
        let e = check_file(&patched(&lib, 16, &2u16.to_le_bytes())).unwrap_err();
        assert_eq!(e, FileProblem::NotShared("it is an executable".into()));
        let e = check_file(&patched(&lib, 16, &1u16.to_le_bytes())).unwrap_err();
        assert_eq!(e, FileProblem::NotShared("it is a relocatable object file (.o)".into()));
        let e = check_file(&patched(&lib, 16, &4u16.to_le_bytes())).unwrap_err();
        assert_eq!(e, FileProblem::NotShared("it is a core dump".into()));
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
    fn another_architecture_word_size_or_byte_order_is_refused() {
        let (_, lib) = real_library();
        // e_machine (offset 18) = 183, AArch64: the header of a library built for it.
        let e = check_file(&patched(&lib, 18, &183u16.to_le_bytes())).unwrap_err();
        assert_eq!(
            e,
            FileProblem::WrongTarget {
                what: "architecture",
                found: "Aarch64".into(),
                expected: "X86_64".into()
            }
        );
        assert_eq!(e.to_string(), "built for another architecture: Aarch64, but this host is X86_64");
        // EI_CLASS (byte 4) = 1: 32-bit.
        let e = check_file(&patched(&lib, 4, &[1])).unwrap_err();
        assert_eq!(
            e,
            FileProblem::WrongTarget { what: "word size", found: "32-bit".into(), expected: "64-bit".into() }
        );
        // EI_DATA (byte 5) = 2: big-endian.
        let e = check_file(&patched(&lib, 5, &[2])).unwrap_err();
        assert_eq!(
            e,
            FileProblem::WrongTarget {
                what: "byte order",
                found: "big-endian".into(),
                expected: "little-endian".into()
            }
        );
    }

    #[test]
    #[cfg(not(any(target_vendor = "apple", windows)))]
    fn another_platforms_format_is_refused() {
        // The magic of a 64-bit Mach-O file (macOS), little-endian, then zeros.
        let mut macho = 0xfeed_facf_u32.to_le_bytes().to_vec();
        macho.resize(64, 0);
        let e = check_file(&macho).unwrap_err();
        assert_eq!(e, FileProblem::WrongFormat { found: "Mach-O", expected: "ELF" });
        assert_eq!(
            e.to_string(),
            "not a shared library for this platform: it is a Mach-O file, but this host loads ELF libraries"
        );
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn malformed_headers_are_refused() {
        let (_, lib) = real_library();
        // e_phentsize (offset 54) = 1: program headers of one byte each.
        let e = check_file(&patched(&lib, 54, &1u16.to_le_bytes())).unwrap_err();
        assert!(matches!(e, FileProblem::Malformed { format: "ELF", .. }), "{e}");
    }
}
