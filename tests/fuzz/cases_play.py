"""The fuzz corpus, continued: `decouple play`'s arguments (issue 20).

Every numeric flag given what is not a finite number in its range, bad team and preset texts, bad
hosts, and results folders the export could not be written to. Each is refused before the server
starts (a case the command accepted would serve until the hang guard). Cases are data, added with
the helpers of :mod:`tests.fuzz.cases` (its docstring says what each kind must satisfy)."""

from __future__ import annotations

from .cases import cli

#: the command with what every case shares: no browser, any free port, the case's output folder
PLAY = ("play", "--no-open", "--port", "0", "--out", "{out}")
DIGITS_5000 = "9" * 5000

# ---------------------------------------------------------------- numbers of years
for value, note in (
    ("nan", "not a number"),
    ("inf", "infinite"),
    ("1e309", "overflows to infinity"),
    (DIGITS_5000, "5000 digits: infinity as a float"),
    ("0", "no time in a round"),
    ("-1", "negative"),
    ("0.1", "not whole quarters"),
    ("11", "more than 10 years"),
    ("1e308", "finite but astronomically long (its quarter count overflows)"),
    ("1e-320", "a subnormal float"),
):
    cli(f"play-round-years-{value[:12]}", *PLAY, "--round-years", value, note=f"--round-years: {note}")
cli("play-round-years-minus-inf", *PLAY, "--round-years=-inf", note="--round-years: minus infinity")
cli("play-round-years-word", *PLAY, "--round-years", "two", expect="usage", note="--round-years: not a number")
cli("play-round-years-empty", *PLAY, "--round-years", "", expect="usage", note="--round-years: empty")

for value, note in (
    ("nan", "not a number"),
    ("inf", "infinite"),
    ("1e309", "overflows to infinity"),
    (DIGITS_5000, "5000 digits: infinity as a float"),
    ("2024.1", "not the start of a quarter"),
    ("2017", "before the preset starts"),
    ("2036", "after the preset ends"),
    ("1e308", "finite but astronomically late (its quarter count overflows)"),
):
    cli(f"play-start-year-{value[:12]}", *PLAY, "--start-year", value, note=f"--start-year: {note}")
cli("play-start-year-minus-1e308", *PLAY, "--start-year=-1e308", note="--start-year: astronomically early")
cli("play-start-year-minus-inf", *PLAY, "--start-year=-inf", note="--start-year: minus infinity")
cli("play-start-year-word", *PLAY, "--start-year", "soon", expect="usage", note="--start-year: not a number")

# ---------------------------------------------------------------- whole numbers
cli("play-seed-negative", *PLAY, "--seed", "-1")
cli("play-seed-2p63", *PLAY, "--seed", "9223372036854775808", note="one above the largest seed")
cli("play-seed-5000-digits", *PLAY, "--seed", DIGITS_5000, expect="error_or_usage")
cli("play-seed-float", *PLAY, "--seed", "1.5", expect="usage")
cli("play-seed-nan", *PLAY, "--seed", "nan", expect="usage")
cli("play-workers-zero", *PLAY, "--workers", "0", expect="usage")
cli("play-workers-negative", *PLAY, "--workers", "-1", expect="usage")
cli("play-workers-33", *PLAY, "--workers", "33", note="more what-if processes than the command allows")
cli("play-workers-million", *PLAY, "--workers", "1000000", note="a million processes")
cli("play-workers-5000-digits", *PLAY, "--workers", DIGITS_5000, expect="error_or_usage")
cli("play-workers-inf", *PLAY, "--workers", "inf", expect="usage")
PLAY_NO_PORT = ("play", "--no-open", "--out", "{out}")
cli("play-port-negative", *PLAY_NO_PORT, "--port", "-1")
cli("play-port-65536", *PLAY_NO_PORT, "--port", "65536")
cli("play-port-huge", *PLAY_NO_PORT, "--port", "100000000000000000000")
cli("play-port-5000-digits", *PLAY_NO_PORT, "--port", DIGITS_5000, expect="error_or_usage")
cli("play-port-nan", *PLAY_NO_PORT, "--port", "nan", expect="usage")
cli("play-port-busy", *PLAY_NO_PORT, "--port", "{port}", setup=(("listen",),), note="another program listens there")

# ---------------------------------------------------------------- hosts
cli("play-host-empty", *PLAY, "--host", "", note="'' would listen on every address unannounced")
cli("play-host-blank", *PLAY, "--host", "   ")
cli("play-host-nul", *PLAY, "--host", "127.0.0.1\x00x")
cli("play-host-non-utf8", *PLAY, "--host", "h\udcff", note="a host that is not UTF-8 (bytes 0xff)")
cli("play-host-300-chars", *PLAY, "--host", "h" * 300)
cli("play-host-unresolvable", *PLAY, "--host", "999.1.1.1")

# ---------------------------------------------------------------- teams and presets
for name, text in (
    ("empty", ""),
    ("commas", ",,,"),
    ("unknown-country", "US,XX"),
    ("lowercase", "us,cn"),
    ("twice", "US,US"),
    ("mixed-kinds", "NL+IN"),
    ("controller-and-target", "US+CN"),
    ("plus-only", "+"),
    ("long", "US," + "X" * 100_000),
    ("non-utf8", "US,\udcff"),
    ("newline", "US\nCN"),
):
    cli(f"play-teams-{name}", *PLAY, "--teams", text)
cli("play-preset-unknown", *PLAY, "--preset", "nosuch")
cli("play-preset-empty", *PLAY, "--preset", "")
cli("play-preset-path-escape", *PLAY, "--preset", "../../../etc/passwd")
cli("play-preset-non-utf8", *PLAY, "--preset", "base\udcffline")
cli("play-preset-scripted", *PLAY, "--preset", "historical", note="its scripted events reach past the start year")
cli("play-seats-unknown", *PLAY, "--seats", "maybe", expect="usage")
cli("play-unknown-flag", *PLAY, "--rounds", "3", expect="usage")
cli("play-extra-argument", *PLAY, "extra", expect="usage")

# ---------------------------------------------------------------- results folders
# (a read-only folder is not among them: the corpus may run as root, who writes in one anyway;
# /proc and /sys stand for folders no one may write in)
P = ("play", "--no-open", "--port", "0")
cli("play-out-is-file", *P, "--out", "{out}", setup=(("file", "{out}", "x"),))
cli("play-out-under-file", *P, "--out", "{work}/afile/out", setup=(("file", "{work}/afile", "x"),))
cli(
    "play-out-link-to-file",
    *P,
    "--out",
    "{out}",
    setup=(("file", "{work}/afile", "x"), ("symlink", "{out}", "{work}/afile")),
)
cli("play-out-dangling-link", *P, "--out", "{out}", setup=(("symlink", "{out}", "{work}/nowhere"),))
cli("play-out-symlink-loop", *P, "--out", "{out}", setup=(("symlink", "{out}", "{out}"),))
cli("play-out-proc", *P, "--out", "/proc/decouple_fuzz_play")
cli("play-out-proc-deep", *P, "--out", "/proc/decouple_fuzz_play/a/b")
cli("play-out-sys", *P, "--out", "/sys/decouple_fuzz_play")
cli("play-out-dev-null", *P, "--out", "/dev/null")
cli("play-out-300-byte-name", *P, "--out", "{work}/res/" + "o" * 300)
cli("play-out-5000-byte-path", *P, "--out", "{work}/res/" + "/".join(["abcdefgh"] * 600))
cli("play-out-non-utf8", *P, "--out", "{work}/r\udcffsults", note="a folder name that is not UTF-8 (bytes 0xff)")
cli("play-out-empty", *P, "--out", "", expect="usage", note="--out '' is no folder")

# ---------------------------------------------------------------- the real command
cli("play-sub-round-years-nan", *PLAY, "--round-years", "nan", subprocess=True)
cli("play-sub-out-non-utf8", *P, "--out", "{work}/r\udcffsults", subprocess=True, note="real argv bytes")
