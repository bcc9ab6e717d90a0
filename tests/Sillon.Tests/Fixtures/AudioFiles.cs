// Test-support: real audio files, tagged by tools we did not write, for checking Sillon's tag reader.
//
// Debian 12 packages needed: ffmpeg eyed3 flac vorbis-tools kid3-cli python3-mutagen
//   (apt-get install -y ffmpeg eyed3 flac vorbis-tools kid3-cli python3-mutagen)
//
// Who writes what (every command line below was checked against mutagen / ffprobe / metaflac / kid3-cli 'get all'):
//
//   mp3  (ID3v2.4)  eyeD3 0.9.7 writes every single-valued field:
//          TIT2 -t, TALB -A, TDRC --recording-date (Date), TDOR --orig-release-date (OriginalDate),
//          TCOM --composer, TSRC/TSST/TBPM/TCMP via --text-frame, USLT --add-lyrics (from a temp file),
//          TRCK -n/-N and TPOS -d/-D (eyeD3 zero-pads: "03/12", "01/02"),
//          UFID owner "http://musicbrainz.org" --unique-file-id (MbTrackId),
//          TXXX "MusicBrainz Album Id" / "MusicBrainz Artist Id" / "MusicBrainz Album Artist Id" /
//          "MusicBrainz Release Group Id" / "REPLAYGAIN_TRACK_GAIN" ... via --user-text-frame,
//          and TPE1/TPE2/TCON when the list has exactly one value (TXXX:ARTISTS only when > 1 artist).
//        Multi-valued lists (Count > 1) cannot go through eyeD3's argv (a NUL can't be in an argument), so
//        mutagen (python3-mutagen, /usr/bin/python3) writes them FIRST as true NUL-separated v2.4 frames:
//          TPE1 = Artists, TXXX:ARTISTS = Artists, TPE2 = AlbumArtists, TCON = Genres;
//        eyeD3 then rewrites the tag and keeps those NUL-separated values (verified), so the final bytes are eyeD3's.
//   flac metaflac: Vorbis comments TITLE, ARTIST (one per value), ARTISTS (one per value, only when > 1 artist),
//        ALBUMARTIST (repeated), ALBUM, DATE, ORIGINALDATE, COMPOSER, ISRC, DISCSUBTITLE, LYRICS, BPM,
//        TRACKNUMBER, TRACKTOTAL, DISCNUMBER, DISCTOTAL, GENRE (repeated), COMPILATION=1,
//        MUSICBRAINZ_TRACKID/_ALBUMID/_ARTISTID/_ALBUMARTISTID/_RELEASEGROUPID, REPLAYGAIN_{TRACK,ALBUM}_{GAIN,PEAK}.
//   ogg  vorbiscomment (-w -R -e): the same Vorbis fields; existing comments not being set are kept.
//        (ffmpeg leaves "encoder=Lavc libvorbis" in a fresh .ogg, and "encoder=Lavc libopus" in a fresh .opus.)
//   opus kid3-cli (vorbis-tools' vorbiscomment only handles Ogg Vorbis; opustags is not in Debian 12):
//        the same Vorbis field names, multi-values written as repeated fields with kid3's "set NAME[i]" syntax.
//   m4a / alac  kid3-cli: ©nam ©ART ©alb aART ©day ©wrt ©gen ©lyr trkn disk tmpo cpil, and iTunes freeform
//        "----:com.apple.iTunes:" ISRC, ORIGINALDATE, DISCSUBTITLE, ARTISTS, "MusicBrainz Track Id",
//        "MusicBrainz Album Id", "MusicBrainz Artist Id", "MusicBrainz Album Artist Id",
//        "MusicBrainz Release Group Id", replaygain_track_gain/... (lower case, as Picard writes them).
//        Multi-values: kid3 "A|B" -> several data atoms in one ©ART/aART/©gen/ARTISTS item.
//   wav / aiff  kid3-cli: ID3v2.4 chunk ("save", "to24", "save"): TIT2 TPE1 TPE2 TALB TDRC TDOR TCOM TSRC TSST
//        USLT TBPM TRCK "3/12" TPOS "1/2" TCMP TCON, TXXX as for mp3, UFID owner http://musicbrainz.org
//        (NOTE: kid3 stores the UFID identifier with a trailing NUL byte: "id\0").
//        Multi-values: kid3 "A|B" -> NUL-separated TPE1/TPE2/TCON. TXXX:ARTISTS is NOT written for wav/aiff
//        (kid3 writes "A|B" literally into a TXXX); the artist list is only in TPE1. No RIFF INFO chunk.
//   wma  kid3-cli (ASF): Title, Author, WM/AlbumArtist, WM/AlbumTitle, WM/Year (Date), WM/OriginalReleaseYear,
//        WM/Composer, WM/ISRC, WM/Lyrics, WM/BeatsPerMinute, WM/TrackNumber "3/12", WM/PartOfSet "1/2",
//        WM/Genre, plus attributes named "compilation" (lower case, kid3's choice), DISCSUBTITLE, ARTISTS,
//        "MusicBrainz Track Id", "MusicBrainz Album Id", ... , REPLAYGAIN_*. Multi-values: repeated attributes.
//   wv   (APEv2) mutagen writes the multi-valued items first (ARTIST, ARTISTS, ALBUMARTIST, GENRE as
//        NUL-separated APE values; kid3 cannot write those), then kid3-cli writes the rest and keeps them:
//        TITLE ALBUM YEAR ORIGINALDATE COMPOSER ISRC DISCSUBTITLE LYRICS BPM TRACK "3/12" DISCNUMBER "1/2"
//        COMPILATION "MUSICBRAINZ_TRACKID" ... REPLAYGAIN_*.
//   ape  NOT supported: Debian's ffmpeg has no Monkey's Audio encoder and Debian ships no `mac` encoder,
//        so CreateAsync/TagAsync throw NotSupportedException.
//
// Limits: kid3 formats (opus, m4a, alac, wav, aiff, wma, wv) reject values containing '|' (kid3's multi-value
// separator) with ArgumentException. Pictures: eyeD3 --add-image (APIC front cover), metaflac
// --import-picture-from (PICTURE block type 3), kid3-cli "set picture:FILE" for every other format
// (METADATA_BLOCK_PICTURE in ogg/opus, covr in m4a, WM/Picture in wma, "COVER ART (FRONT)" in wv, APIC in wav/aiff).

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sillon.Tests.Fixtures;

public sealed record TagSet
{
    public string? Title { get; init; }
    public string? Album { get; init; }
    public string? Date { get; init; }
    public string? OriginalDate { get; init; }
    public string? Composer { get; init; }
    public string? Isrc { get; init; }
    public string? DiscSubtitle { get; init; }
    public string? Lyrics { get; init; }
    public string? Bpm { get; init; }

    /// <summary>Multi-valued track artists.</summary>
    public IReadOnlyList<string> Artists { get; init; } = [];
    public IReadOnlyList<string> AlbumArtists { get; init; } = [];
    public IReadOnlyList<string> Genres { get; init; } = [];

    public int? Track { get; init; }
    public int? TrackTotal { get; init; }
    public int? Disc { get; init; }
    public int? DiscTotal { get; init; }
    public bool Compilation { get; init; }

    public string? MbTrackId { get; init; }
    public string? MbAlbumId { get; init; }
    public string? MbArtistId { get; init; }
    public string? MbAlbumArtistId { get; init; }
    public string? MbReleaseGroupId { get; init; }

    /// <summary>e.g. "-6.50 dB"</summary>
    public string? RgTrackGain { get; init; }
    /// <summary>e.g. "0.988000"</summary>
    public string? RgTrackPeak { get; init; }
    public string? RgAlbumGain { get; init; }
    public string? RgAlbumPeak { get; init; }
}

public static class AudioFiles
{
    private const string MusicBrainzOwner = "http://musicbrainz.org";

    /// <summary>Formats CreateAsync can produce.</summary>
    public static readonly IReadOnlyList<string> Formats =
        ["mp3", "flac", "ogg", "opus", "m4a", "alac", "wav", "aiff", "wma", "wv"];

    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    // ---------------------------------------------------------------- creation

    /// <summary>
    /// Generates a 440 Hz sine tone with ffmpeg, without tags. Opus is always encoded at 48 kHz when the requested
    /// rate is not one libopus accepts. "ape" throws NotSupportedException (no encoder in Debian).
    /// </summary>
    public static async Task<string> CreateAsync(string path, string format, double seconds = 1.0,
        int sampleRate = 44100, int channels = 2, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(format);
        var full = Path.GetFullPath(path);
        var fmt = format.ToLowerInvariant();

        (string Codec, string Muxer, string[] Extra) spec = fmt switch
        {
            "mp3" => ("libmp3lame", "mp3", ["-id3v2_version", "0", "-write_id3v1", "0"]),
            "flac" => ("flac", "flac", []),
            "ogg" => ("libvorbis", "ogg", []),
            "opus" => ("libopus", "opus", []),
            "m4a" or "aac" => ("aac", "ipod", []),
            "alac" => ("alac", "ipod", []),
            "wav" => ("pcm_s16le", "wav", []),
            "aiff" or "aif" => ("pcm_s16be", "aiff", []),
            "wma" => ("wmav2", "asf", []),
            "wv" => ("wavpack", "wv", []),
            "ape" => throw new NotSupportedException(
                "ffmpeg (Debian 12) has no Monkey's Audio encoder and Debian ships no 'mac' tool; APE cannot be generated."),
            _ => throw new ArgumentException($"Unknown format '{format}'.", nameof(format)),
        };

        if (fmt == "opus" && sampleRate is not (8000 or 12000 or 16000 or 24000 or 48000))
        {
            sampleRate = 48000;
        }

        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi",
            "-i", string.Create(inv, $"sine=frequency=440:sample_rate={sampleRate}:duration={seconds}"),
            "-ac", channels.ToString(inv),
            "-ar", sampleRate.ToString(inv),
            "-map_metadata", "-1",
            "-fflags", "+bitexact", "-flags:a", "+bitexact",
            "-c:a", spec.Codec,
        };
        args.AddRange(spec.Extra);
        args.AddRange(["-f", spec.Muxer, full]);
        await RunAsync("ffmpeg", args, ct).ConfigureAwait(false);
        return full;
    }

    /// <summary>Writes a small real JPEG or PNG (by extension) of one solid colour.</summary>
    public static async Task<string> CreateImageAsync(string path, int width, int height, string color = "red",
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var inv = CultureInfo.InvariantCulture;
        await RunAsync("ffmpeg",
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", string.Create(inv, $"color=c={color}:s={width}x{height}"),
            "-frames:v", "1", "-update", "1", full,
        ], ct).ConfigureAwait(false);
        return full;
    }

    // ---------------------------------------------------------------- tagging

    /// <summary>Tags a file with an independent tool chosen by the file's extension (see the header comment).</summary>
    public static Task TagAsync(string path, TagSet tags, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tags);
        var full = Path.GetFullPath(path);
        return Kind(full) switch
        {
            FileKind.Mp3 => TagMp3Async(full, tags, ct),
            FileKind.Flac => TagFlacAsync(full, tags, ct),
            FileKind.Ogg => TagOggAsync(full, tags, ct),
            FileKind.Opus => TagOpusAsync(full, tags, ct),
            FileKind.Mp4 => TagKid3Async(full, tags, Kid3Style.Mp4, ct),
            FileKind.RiffOrAiff => TagKid3Async(full, tags, Kid3Style.Id3Chunk, ct),
            FileKind.Asf => TagKid3Async(full, tags, Kid3Style.Asf, ct),
            FileKind.WavPack => TagWavPackAsync(full, tags, ct),
            _ => throw new NotSupportedException($"No tagging tool for '{full}'."),
        };
    }

    /// <summary>Embeds an image (JPEG or PNG) as the front cover.</summary>
    public static async Task EmbedPictureAsync(string audioPath, string imagePath, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(audioPath);
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        var audio = Path.GetFullPath(audioPath);
        var image = Path.GetFullPath(imagePath);
        if (!File.Exists(image))
        {
            throw new FileNotFoundException("Image not found.", image);
        }

        switch (Kind(audio))
        {
            case FileKind.Mp3:
                await RunAsync("eyeD3",
                [
                    "--no-config", "--to-v2.4", "--encoding", "utf8",
                    "--add-image", EscapeEyeD3(image) + ":FRONT_COVER", audio,
                ], ct).ConfigureAwait(false);
                break;
            case FileKind.Flac:
                if (image.Contains('|', StringComparison.Ordinal))
                {
                    throw new ArgumentException("metaflac picture specs cannot hold '|' in the path.", nameof(imagePath));
                }

                await RunAsync("metaflac", ["--import-picture-from=3||||" + image, audio], ct).ConfigureAwait(false);
                break;
            case FileKind.Ogg or FileKind.Opus or FileKind.Mp4 or FileKind.RiffOrAiff or FileKind.Asf or FileKind.WavPack:
                await RunAsync("kid3-cli",
                    ["-c", "set picture:" + Kid3Quote(image) + " \"\"", "-c", "save", audio], ct).ConfigureAwait(false);
                break;
            default:
                throw new NotSupportedException($"No picture tool for '{audio}'.");
        }
    }

    // mp3 --------------------------------------------------------------------

    private static async Task TagMp3Async(string path, TagSet t, CancellationToken ct)
    {
        // 1) mutagen: true NUL-separated ID3v2.4 frames for lists with more than one value.
        var multi = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (t.Artists.Count > 1)
        {
            multi["TPE1"] = t.Artists;
            multi["TXXX:ARTISTS"] = t.Artists;
        }

        if (t.AlbumArtists.Count > 1)
        {
            multi["TPE2"] = t.AlbumArtists;
        }

        if (t.Genres.Count > 1)
        {
            multi["TCON"] = t.Genres;
        }

        if (multi.Count > 0)
        {
            await MutagenAsync(path, "id3", multi, ct).ConfigureAwait(false);
        }

        // 2) eyeD3 for everything else.
        var a = new List<string> { "--no-config", "--to-v2.4", "--encoding", "utf8" };
        if (t.Artists.Count == 1)
        {
            a.AddRange(["--artist", t.Artists[0]]);
        }

        if (t.AlbumArtists.Count == 1)
        {
            a.AddRange(["--album-artist", t.AlbumArtists[0]]);
        }

        if (t.Genres.Count == 1)
        {
            // --non-std-genres: write the text as given (no "Rock" -> "(17)" style mapping).
            a.AddRange(["--non-std-genres", "--genre", t.Genres[0]]);
        }

        AddIf(a, "--title", t.Title);
        AddIf(a, "--album", t.Album);
        AddIf(a, "--recording-date", t.Date);       // TDRC
        AddIf(a, "--orig-release-date", t.OriginalDate); // TDOR
        AddIf(a, "--composer", t.Composer);
        AddText(a, "TSRC", t.Isrc);
        AddText(a, "TSST", t.DiscSubtitle);
        AddText(a, "TBPM", t.Bpm);
        if (t.Compilation)
        {
            a.AddRange(["--text-frame", "TCMP:1"]);
        }

        var inv = CultureInfo.InvariantCulture;
        if (t.Track is { } tr) a.AddRange(["--track", tr.ToString(inv)]);
        if (t.TrackTotal is { } tt) a.AddRange(["--track-total", tt.ToString(inv)]);
        if (t.Disc is { } d) a.AddRange(["--disc-num", d.ToString(inv)]);
        if (t.DiscTotal is { } dt) a.AddRange(["--disc-total", dt.ToString(inv)]);

        if (t.MbTrackId is { } mbt)
        {
            a.AddRange(["--unique-file-id", EscapeEyeD3(MusicBrainzOwner) + ":" + EscapeEyeD3(mbt)]);
        }

        AddUserText(a, "MusicBrainz Album Id", t.MbAlbumId);
        AddUserText(a, "MusicBrainz Artist Id", t.MbArtistId);
        AddUserText(a, "MusicBrainz Album Artist Id", t.MbAlbumArtistId);
        AddUserText(a, "MusicBrainz Release Group Id", t.MbReleaseGroupId);
        AddUserText(a, "REPLAYGAIN_TRACK_GAIN", t.RgTrackGain);
        AddUserText(a, "REPLAYGAIN_TRACK_PEAK", t.RgTrackPeak);
        AddUserText(a, "REPLAYGAIN_ALBUM_GAIN", t.RgAlbumGain);
        AddUserText(a, "REPLAYGAIN_ALBUM_PEAK", t.RgAlbumPeak);

        string? lyricsFile = null;
        try
        {
            if (t.Lyrics is { } lyrics)
            {
                lyricsFile = Path.Combine(Path.GetTempPath(), "sillon-lyrics-" + Guid.NewGuid().ToString("N") + ".txt");
                await File.WriteAllTextAsync(lyricsFile, lyrics, new UTF8Encoding(false), ct).ConfigureAwait(false);
                a.AddRange(["--add-lyrics", EscapeEyeD3(lyricsFile)]); // USLT, lang eng, empty description
            }

            a.Add(path);
            await RunAsync("eyeD3", a, ct).ConfigureAwait(false);
        }
        finally
        {
            if (lyricsFile is not null)
            {
                File.Delete(lyricsFile);
            }
        }

        static void AddIf(List<string> a, string opt, string? v)
        {
            if (v is not null) a.AddRange([opt, v]);
        }

        static void AddText(List<string> a, string fid, string? v)
        {
            if (v is not null) a.AddRange(["--text-frame", fid + ":" + EscapeEyeD3(v)]);
        }

        static void AddUserText(List<string> a, string desc, string? v)
        {
            if (v is not null) a.AddRange(["--user-text-frame", EscapeEyeD3(desc) + ":" + EscapeEyeD3(v)]);
        }
    }

    /// <summary>eyeD3 splits "A:B" option values on ':'; a literal colon is written "\:".</summary>
    private static string EscapeEyeD3(string s) => s.Replace(":", "\\:", StringComparison.Ordinal);

    // Vorbis comments (flac, ogg, opus) ----------------------------------------

    private static List<KeyValuePair<string, string>> VorbisFields(TagSet t)
    {
        var f = new List<KeyValuePair<string, string>>();
        var inv = CultureInfo.InvariantCulture;
        void Add(string k, string? v)
        {
            if (v is not null) f.Add(new(k, v));
        }

        Add("TITLE", t.Title);
        foreach (var x in t.Artists) Add("ARTIST", x);
        if (t.Artists.Count > 1)
        {
            foreach (var x in t.Artists) Add("ARTISTS", x);
        }

        foreach (var x in t.AlbumArtists) Add("ALBUMARTIST", x);
        Add("ALBUM", t.Album);
        Add("DATE", t.Date);
        Add("ORIGINALDATE", t.OriginalDate);
        Add("COMPOSER", t.Composer);
        Add("ISRC", t.Isrc);
        Add("DISCSUBTITLE", t.DiscSubtitle);
        Add("LYRICS", t.Lyrics);
        Add("BPM", t.Bpm);
        Add("TRACKNUMBER", t.Track?.ToString(inv));
        Add("TRACKTOTAL", t.TrackTotal?.ToString(inv));
        Add("DISCNUMBER", t.Disc?.ToString(inv));
        Add("DISCTOTAL", t.DiscTotal?.ToString(inv));
        foreach (var x in t.Genres) Add("GENRE", x);
        if (t.Compilation) Add("COMPILATION", "1");
        Add("MUSICBRAINZ_TRACKID", t.MbTrackId);
        Add("MUSICBRAINZ_ALBUMID", t.MbAlbumId);
        Add("MUSICBRAINZ_ARTISTID", t.MbArtistId);
        Add("MUSICBRAINZ_ALBUMARTISTID", t.MbAlbumArtistId);
        Add("MUSICBRAINZ_RELEASEGROUPID", t.MbReleaseGroupId);
        Add("REPLAYGAIN_TRACK_GAIN", t.RgTrackGain);
        Add("REPLAYGAIN_TRACK_PEAK", t.RgTrackPeak);
        Add("REPLAYGAIN_ALBUM_GAIN", t.RgAlbumGain);
        Add("REPLAYGAIN_ALBUM_PEAK", t.RgAlbumPeak);
        return f;
    }

    private static async Task TagFlacAsync(string path, TagSet t, CancellationToken ct)
    {
        var fields = VorbisFields(t);
        if (fields.Count == 0)
        {
            return;
        }

        // Operations run in order: drop the old values of every field we set, then add the new ones.
        var a = new List<string> { "--no-utf8-convert" };
        foreach (var key in fields.Select(f => f.Key).Distinct(StringComparer.Ordinal))
        {
            a.Add("--remove-tag=" + key);
        }

        foreach (var (k, v) in fields)
        {
            a.Add("--set-tag=" + k + "=" + v);
        }

        a.Add(path);
        await RunAsync("metaflac", a, ct).ConfigureAwait(false);
    }

    private static async Task TagOggAsync(string path, TagSet t, CancellationToken ct)
    {
        var fields = VorbisFields(t);
        if (fields.Count == 0)
        {
            return;
        }

        var keys = new HashSet<string>(fields.Select(f => f.Key), StringComparer.OrdinalIgnoreCase);
        // -R: raw UTF-8; -e: \n \r \0 \\ escapes, so multi-line lyrics survive the line-based interface.
        var existing = await RunAsync("vorbiscomment", ["-l", "-R", "-e", path], ct).ConfigureAwait(false);
        var a = new List<string> { "-w", "-R", "-e" };
        foreach (var line in existing.Split('\n'))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !keys.Contains(line[..eq]))
            {
                a.AddRange(["-t", line]); // already escaped by -e
            }
        }

        foreach (var (k, v) in fields)
        {
            a.AddRange(["-t", k + "=" + EscapeVorbisComment(v)]);
        }

        a.Add(path);
        await RunAsync("vorbiscomment", a, ct).ConfigureAwait(false);
    }

    private static string EscapeVorbisComment(string v) => v
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal)
        .Replace("\r", "\\r", StringComparison.Ordinal)
        .Replace("\0", "\\0", StringComparison.Ordinal);

    private static async Task TagOpusAsync(string path, TagSet t, CancellationToken ct)
    {
        var fields = VorbisFields(t);
        if (fields.Count == 0)
        {
            return;
        }

        var a = new List<string>();
        foreach (var group in fields.GroupBy(f => f.Key, StringComparer.Ordinal))
        {
            var i = 0;
            foreach (var (k, v) in group)
            {
                var name = i == 0 ? k : string.Create(CultureInfo.InvariantCulture, $"{k}[{i}]");
                a.AddRange(["-c", "set " + Kid3Quote(name) + " " + Kid3Quote(CheckKid3(v))]);
                i++;
            }
        }

        a.AddRange(["-c", "save", path]);
        await RunAsync("kid3-cli", a, ct).ConfigureAwait(false);
    }

    // kid3-cli (m4a, alac, wav, aiff, wma) and wv ------------------------------

    private enum Kid3Style { Mp4, Id3Chunk, Asf, Ape }

    private static async Task TagWavPackAsync(string path, TagSet t, CancellationToken ct)
    {
        // APEv2 multi-values are NUL-separated inside one item; kid3 can't write that, mutagen can.
        var multi = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (t.Artists.Count > 1)
        {
            multi["ARTIST"] = t.Artists;
            multi["ARTISTS"] = t.Artists;
        }

        if (t.AlbumArtists.Count > 1) multi["ALBUMARTIST"] = t.AlbumArtists;
        if (t.Genres.Count > 1) multi["GENRE"] = t.Genres;
        if (multi.Count > 0)
        {
            await MutagenAsync(path, "ape", multi, ct).ConfigureAwait(false);
        }

        await TagKid3Async(path, t, Kid3Style.Ape, ct).ConfigureAwait(false);
    }

    private static async Task TagKid3Async(string path, TagSet t, Kid3Style style, CancellationToken ct)
    {
        var cmds = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        void SetRaw(string name, string v) => cmds.Add("set " + Kid3Quote(name) + " " + Kid3Quote(v));
        void Set(string name, string? v)
        {
            if (v is not null) SetRaw(name, CheckKid3(v));
        }

        void SetList(string name, IReadOnlyList<string> values)
        {
            if (values.Count == 0) return;
            if (style == Kid3Style.Ape && values.Count > 1) return; // written by mutagen
            foreach (var v in values) CheckKid3(v);
            if (style == Kid3Style.Asf)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    Set(i == 0 ? name : string.Create(inv, $"{name}[{i}]"), values[i]);
                }
            }
            else
            {
                SetRaw(name, string.Join('|', values)); // ID3 / MP4: kid3 splits on '|'
            }
        }

        static string? Pair(int? n, int? total) => (n, total) switch
        {
            (null, null) => null,
            ({ } num, null) => num.ToString(CultureInfo.InvariantCulture),
            (var num, { } tot) => string.Create(CultureInfo.InvariantCulture, $"{num ?? 0}/{tot}"),
        };

        Set("title", t.Title);
        SetList("artist", t.Artists);
        SetList("album artist", t.AlbumArtists);
        SetList("genre", t.Genres);
        if (style != Kid3Style.Id3Chunk && t.Artists.Count > 1)
        {
            SetList("ARTISTS", t.Artists);
        }

        Set("album", t.Album);
        Set("date", t.Date);
        Set("original date", t.OriginalDate);
        Set("composer", t.Composer);
        Set("isrc", t.Isrc);
        if (style != Kid3Style.Id3Chunk)
        {
            Set("DISCSUBTITLE", t.DiscSubtitle);
        }
        Set("lyrics", t.Lyrics);
        Set("bpm", t.Bpm);
        Set("track number", Pair(t.Track, t.TrackTotal));
        Set("disc number", Pair(t.Disc, t.DiscTotal));
        if (t.Compilation) Set("compilation", "1");

        var rg = style == Kid3Style.Mp4 ? "replaygain_" : "REPLAYGAIN_";
        Set(rg + (style == Kid3Style.Mp4 ? "track_gain" : "TRACK_GAIN"), t.RgTrackGain);
        Set(rg + (style == Kid3Style.Mp4 ? "track_peak" : "TRACK_PEAK"), t.RgTrackPeak);
        Set(rg + (style == Kid3Style.Mp4 ? "album_gain" : "ALBUM_GAIN"), t.RgAlbumGain);
        Set(rg + (style == Kid3Style.Mp4 ? "album_peak" : "ALBUM_PEAK"), t.RgAlbumPeak);

        if (style == Kid3Style.Ape)
        {
            Set("MUSICBRAINZ_TRACKID", t.MbTrackId);
            Set("MUSICBRAINZ_ALBUMID", t.MbAlbumId);
            Set("MUSICBRAINZ_ARTISTID", t.MbArtistId);
            Set("MUSICBRAINZ_ALBUMARTISTID", t.MbAlbumArtistId);
            Set("MUSICBRAINZ_RELEASEGROUPID", t.MbReleaseGroupId);
        }
        else
        {
            if (style == Kid3Style.Id3Chunk)
            {
                if (t.MbTrackId is not null)
                {
                    Set("UFID", t.MbTrackId);
                    Set("UFID.Owner", MusicBrainzOwner);
                }
            }
            else
            {
                Set("MusicBrainz Track Id", t.MbTrackId);
            }

            Set("MusicBrainz Album Id", t.MbAlbumId);
            Set("MusicBrainz Artist Id", t.MbArtistId);
            Set("MusicBrainz Album Artist Id", t.MbAlbumArtistId);
            Set("MusicBrainz Release Group Id", t.MbReleaseGroupId);
        }

        if (cmds.Count == 0 && !(style == Kid3Style.Id3Chunk && t.DiscSubtitle is not null))
        {
            return;
        }

        var a = new List<string>();
        foreach (var c in cmds) a.AddRange(["-c", c]);
        a.AddRange(["-c", "save"]);
        if (style == Kid3Style.Id3Chunk)
        {
            // kid3 writes ID3v2.3 into a new WAV chunk; convert to v2.4, then add TSST (a v2.4-only frame
            // that a v2.3 save would drop).
            a.AddRange(["-c", "to24", "-c", "save"]);
            if (t.DiscSubtitle is { } ds)
            {
                a.AddRange(["-c", "set \"TSST\" " + Kid3Quote(CheckKid3(ds)), "-c", "save"]);
            }
        }

        a.Add(path);
        await RunAsync("kid3-cli", a, ct).ConfigureAwait(false);
    }

    /// <summary>kid3-cli command words: double quotes, with \" and \\ escapes.</summary>
    private static string Kid3Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string CheckKid3(string v) => v.Contains('|', StringComparison.Ordinal)
        ? throw new ArgumentException($"kid3-cli treats '|' as a value separator; cannot write '{v}'.")
        : v;

    // mutagen --------------------------------------------------------------------

    private const string MutagenScript = """
        import sys, json
        path, kind, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        if kind == "id3":
            from mutagen.id3 import ID3, ID3NoHeaderError, TXXX, Frames
            try:
                tag = ID3(path)
            except ID3NoHeaderError:
                tag = ID3()
            for key, values in spec.items():
                if key.startswith("TXXX:"):
                    tag.delall(key)
                    tag.add(TXXX(encoding=3, desc=key[5:], text=values))
                else:
                    tag.delall(key)
                    tag.add(Frames[key](encoding=3, text=values))
            tag.save(path, v2_version=4)
        elif kind == "ape":
            from mutagen.apev2 import APEv2, APENoHeaderError
            try:
                tag = APEv2(path)
            except APENoHeaderError:
                tag = APEv2()
            for key, values in spec.items():
                tag[key] = values
            tag.save(path)
        else:
            raise SystemExit("unknown kind " + kind)
        """;

    private static Task MutagenAsync(string path, string kind, IReadOnlyDictionary<string, IReadOnlyList<string>> spec,
        CancellationToken ct) =>
        RunAsync(Python, ["-c", MutagenScript, path, kind, JsonSerializer.Serialize(spec)], ct);

    // ---------------------------------------------------------------- processes

    /// <summary>
    /// Runs a program with an argument list (no shell) under a UTF-8 C locale; returns stdout,
    /// throws InvalidOperationException with stderr on a non-zero exit.
    /// </summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> args, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(args);
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        var argList = args.ToList();
        foreach (var a in argList)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["LC_ALL"] = "C.UTF-8";
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["PYTHONUTF8"] = "1";
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        psi.Environment["QT_QPA_PLATFORM"] = "offscreen";

        using var p = new Process { StartInfo = psi };
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start '{program}' (is it installed?): {e.Message}", e);
        }

        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        try
        {
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already exited
            }

            throw;
        }

        var output = await stdout.ConfigureAwait(false);
        var error = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', argList)}' exited with {p.ExitCode}:\n{error}\n{output}");
        }

        return output;
    }

    /// <summary>True when a program is on PATH (or, given a path, exists and is a file).</summary>
    public static bool Has(string program)
    {
        if (string.IsNullOrEmpty(program))
        {
            return false;
        }

        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program);
        }

        var pathVar = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in pathVar.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when every tool TagAsync needs for this format is installed.</summary>
    public static bool CanTag(string format) => format.ToLowerInvariant() switch
    {
        "mp3" => Has("eyeD3") && Has(Python),
        "flac" => Has("metaflac"),
        "ogg" => Has("vorbiscomment"),
        "opus" or "m4a" or "aac" or "alac" or "wav" or "aiff" or "aif" or "wma" => Has("kid3-cli"),
        "wv" => Has("kid3-cli") && Has(Python),
        _ => false,
    } && Has("ffmpeg");

    // ---------------------------------------------------------------- helpers

    private enum FileKind { Unknown, Mp3, Flac, Ogg, Opus, Mp4, RiffOrAiff, Asf, WavPack, Ape }

    private static FileKind Kind(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp3" => FileKind.Mp3,
        ".flac" => FileKind.Flac,
        ".ogg" or ".oga" => FileKind.Ogg,
        ".opus" => FileKind.Opus,
        ".m4a" or ".mp4" or ".m4b" or ".aac" => FileKind.Mp4,
        ".wav" or ".aif" or ".aiff" => FileKind.RiffOrAiff,
        ".wma" or ".asf" => FileKind.Asf,
        ".wv" => FileKind.WavPack,
        ".ape" => throw new NotSupportedException("APE files cannot be generated or tagged here (no encoder in Debian)."),
        _ => FileKind.Unknown,
    };

    private static string Extension(string format) => format.ToLowerInvariant() switch
    {
        "alac" or "aac" => "m4a",
        "aif" => "aiff",
        var f => f,
    };

    /// <summary>
    /// Creates dir/relPath (subfolders included) in the given format and tags it. If relPath has no extension,
    /// the format's one is appended ("alac" -> ".m4a"). Returns the full path.
    /// </summary>
    public static async Task<string> TaggedAsync(string dir, string relPath, string format, TagSet tags,
        double seconds = 1.0, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentException.ThrowIfNullOrEmpty(relPath);
        var path = Path.GetFullPath(Path.Combine(dir, relPath));
        if (string.IsNullOrEmpty(Path.GetExtension(path)))
        {
            path += "." + Extension(format);
        }

        await CreateAsync(path, format, seconds, ct: ct).ConfigureAwait(false);
        await TagAsync(path, tags, ct).ConfigureAwait(false);
        return path;
    }
}
