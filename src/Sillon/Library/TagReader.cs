using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using TagLib;

namespace Sillon.Library;

/// <summary>Everything the scanner keeps from one audio file.</summary>
public sealed record TrackTags
{
    public required string Title { get; init; }
    public required IReadOnlyList<string> Artists { get; init; }
    public required string DisplayArtist { get; init; }
    public required IReadOnlyList<string> AlbumArtists { get; init; }
    public required string DisplayAlbumArtist { get; init; }
    public required string Album { get; init; }
    public int? TrackNumber { get; init; }
    public int? TrackTotal { get; init; }
    public int? DiscNumber { get; init; }
    public int? DiscTotal { get; init; }
    public string? DiscSubtitle { get; init; }
    public int? Year { get; init; }
    public string? Date { get; init; }
    public string? OriginalDate { get; init; }
    public IReadOnlyList<string> Genres { get; init; } = [];
    public IReadOnlyList<string> Composers { get; init; } = [];
    public string? Isrc { get; init; }
    public int? Bpm { get; init; }
    public bool Compilation { get; init; }
    public string? MbTrackId { get; init; }
    public string? MbAlbumId { get; init; }
    public string? MbArtistId { get; init; }
    public string? MbAlbumArtistId { get; init; }
    public string? MbReleaseGroupId { get; init; }
    public double? RgTrackGain { get; init; }
    public double? RgTrackPeak { get; init; }
    public double? RgAlbumGain { get; init; }
    public double? RgAlbumPeak { get; init; }
    public string? Lyrics { get; init; }
    public bool HasPicture { get; init; }
    public double Duration { get; init; }
    public int Bitrate { get; init; }
    public int SampleRate { get; init; }
    public int BitDepth { get; init; }
    public int Channels { get; init; }
    public required string Codec { get; init; }

    /// <summary>Identifies the same recording at another path: used to keep a track's id when its file moves.</summary>
    public string Fingerprint()
    {
        var text = string.Join('\u001f', Title, DisplayArtist, Album, TrackNumber, DiscNumber, Math.Round(Duration, 1).ToString(CultureInfo.InvariantCulture), MbTrackId);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 12);
    }
}

/// <summary>Reads tags and audio properties with TagLibSharp, normalising the differences between tag formats.</summary>
public static partial class TagReader
{
    public const string UnknownArtist = "[Unknown Artist]";
    public const string UnknownAlbum = "[Unknown Album]";
    public const string VariousArtists = "Various Artists";

    /// <summary>Reads a file. Throws <see cref="TagReadException"/> with a reason a person can act on.</summary>
    public static TrackTags Read(string path)
    {
        // One open file serves TagLibSharp and then the MP3 probe: a second open and stat per file
        // was a measurable part of a scan.
        FileStream stream;
        TagLib.File file;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.None);
        }
        catch (FileNotFoundException e) { throw new TagReadException("file disappeared during the scan", e); }
        catch (DirectoryNotFoundException e) { throw new TagReadException("file disappeared during the scan", e); }
        catch (UnauthorizedAccessException e) { throw new TagReadException("permission denied", e); }
        catch (IOException e) { throw new TagReadException($"I/O error: {e.Message}", e); }
        using (stream)
        {
            try
            {
                file = Open(new OpenStream(path, stream));
            }
            catch (CorruptFileException e) { throw new TagReadException($"corrupt or not an audio file: {e.Message}", e); }
            catch (UnsupportedFormatException e) { throw new TagReadException($"unsupported format: {e.Message}", e); }
            catch (FileNotFoundException e) { throw new TagReadException("file disappeared during the scan", e); }
            catch (DirectoryNotFoundException e) { throw new TagReadException("file disappeared during the scan", e); }
            catch (UnauthorizedAccessException e) { throw new TagReadException("permission denied", e); }
            catch (IOException e) { throw new TagReadException($"I/O error: {e.Message}", e); }
            catch (OutOfMemoryException e) { throw new TagReadException("a tag claims an impossible size", e); }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or NullReferenceException or InvalidOperationException or NotImplementedException)
            {
                // TagLibSharp throws these on malformed structures it does not check for itself.
                throw new TagReadException($"malformed file: {e.GetType().Name}: {e.Message}", e);
            }

            using (file)
            {
                var properties = file.Properties;
                if (properties is null || (properties.MediaTypes & MediaTypes.Audio) == 0 || properties.AudioSampleRate <= 0)
                    throw new TagReadException("no audio stream found");
                var tags = Map(file, path);
                if (file is TagLib.Mpeg.AudioFile mpeg)
                {
                    Mp3Probe.Result? probe;
                    try { probe = Mp3Probe.Probe(stream, mpeg.InvariantStartPosition, mpeg.InvariantEndPosition); }
                    catch (IOException e) { throw new TagReadException($"I/O error: {e.Message}", e); }
                    if (probe is null) throw new TagReadException("not MP3 audio: no valid MPEG frames found");
                    if (probe.Value.Duration is { } duration) tags = tags with { Duration = duration, Bitrate = probe.Value.Bitrate ?? tags.Bitrate };
                }
                return tags;
            }
        }
    }

    /// <summary>
    /// TagLibSharp's File.Create, without its reflection: it builds each file through
    /// Activator.CreateInstance, and under a scan's allocation rate the runtime's reflection cache is
    /// collected again and again, so every file paid for a freshly emitted and jitted constructor stub
    /// (a third of the reading CPU, plus the finalizer thread). The type is TagLibSharp's own choice
    /// for the suffix (<see cref="FileTypes.AvailableTypes"/>); types not listed here keep File.Create.
    /// </summary>
    private static TagLib.File Open(OpenStream source)
    {
        var name = source.Name;
        var dot = name.LastIndexOf('.');
        var mimeType = "taglib/" + (dot >= 0 && dot < name.Length - 1 ? name[(dot + 1)..].ToLowerInvariant() : "");
        if (!FileTypes.AvailableTypes.TryGetValue(mimeType, out var type)) return TagLib.File.Create(source, mimeType, ReadStyle.Average);
        const ReadStyle style = ReadStyle.Average | ReadStyle.PictureLazy;
        if (type == typeof(TagLib.Mpeg.AudioFile)) return new ReadOnlyMp3(source, style);
        if (type == typeof(TagLib.Flac.File)) return new TagLib.Flac.File(source, style);
        if (type == typeof(TagLib.Ogg.File)) return new TagLib.Ogg.File(source, style);
        if (type == typeof(TagLib.Mpeg4.File)) return new TagLib.Mpeg4.File(source, style);
        if (type == typeof(TagLib.Riff.File)) return new TagLib.Riff.File(source, style);
        if (type == typeof(TagLib.Aiff.File)) return new TagLib.Aiff.File(source, style);
        if (type == typeof(TagLib.Asf.File)) return new TagLib.Asf.File(source, style);
        if (type == typeof(TagLib.Ape.File)) return new TagLib.Ape.File(source, style);
        if (type == typeof(TagLib.WavPack.File)) return new TagLib.WavPack.File(source, style);
        return TagLib.File.Create(source, mimeType, style);
    }

    /// <summary>
    /// TagLibSharp's MP3 file, for reading only. Its ReadEnd makes sure the file has both an ID3v1
    /// and an ID3v2 tag, ready for a later save, by creating the one missing and copying every field
    /// into it: for the usual ID3v2-only file, an ID3v1 tag built field by field on each read (a
    /// tenth of the reader's CPU in a scan). The scanner never saves, and reads the tags the file has.
    /// </summary>
    private sealed class ReadOnlyMp3(TagLib.File.IFileAbstraction source, ReadStyle style) : TagLib.Mpeg.AudioFile(source, style)
    {
        protected override void ReadEnd(long end, ReadStyle propertiesStyle) { }
    }

    /// <summary>An already open file handed to TagLibSharp, which must not close it: the MP3 probe reads it next.</summary>
    private sealed class OpenStream(string name, FileStream stream) : TagLib.File.IFileAbstraction
    {
        private readonly KnownLength _stream = new(stream);
        public string Name => name;
        public Stream ReadStream => _stream;
        public Stream WriteStream => throw new NotSupportedException("the scanner never writes tags");
        public void CloseStream(Stream stream) { }
    }

    /// <summary>
    /// A read-only view of a file whose length is taken once. TagLibSharp asks for the length before
    /// nearly every read, and FileStream answers each time with an fstat: a tenth of the reading CPU.
    /// </summary>
    private sealed class KnownLength(FileStream inner) : Stream
    {
        private readonly long _length = inner.Length;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static TrackTags Map(TagLib.File file, string path)
    {
        var tag = file.Tag;
        var extra = new Fields(file);
        var properties = file.Properties;

        var artistTag = Clean(tag.Performers);
        var artistsTag = Clean(extra.Get("ARTISTS"));
        // ARTISTS (Picard) is the list; ARTIST stays the display form such as "A feat. B".
        var artists = artistsTag.Count > 0 ? artistsTag : artistTag;
        var displayArtist = artistTag.Count == 1 ? artistTag[0] : artists.Count > 0 ? string.Join(" • ", artists) : UnknownArtist;
        if (artists.Count == 0) artists = [UnknownArtist];

        var compilation = Truthy(extra.Get("COMPILATION", "TCMP", "cpil", "WM/IsCompilation"));
        var albumArtistTag = Clean(tag.AlbumArtists);
        var albumArtistsTag = Clean(extra.Get("ALBUMARTISTS"));
        var albumArtists = albumArtistsTag.Count > 0 ? albumArtistsTag : albumArtistTag;
        string displayAlbumArtist;
        if (albumArtists.Count > 0)
            displayAlbumArtist = albumArtistTag.Count == 1 ? albumArtistTag[0] : string.Join(" • ", albumArtists);
        else if (compilation)
            (albumArtists, displayAlbumArtist) = ([VariousArtists], VariousArtists);
        else
            (albumArtists, displayAlbumArtist) = (artists, displayArtist);
        if (string.Equals(displayAlbumArtist, VariousArtists, StringComparison.OrdinalIgnoreCase)) compilation = true;

        var date = CleanOne(extra.Get("DATE", "TDRC", "TYER", "©day", "WM/Year", "YEAR"));
        var originalDate = CleanOne(extra.Get("ORIGINALDATE", "TDOR", "ORIGINALYEAR", "TORY", "WM/OriginalReleaseYear"));
        int? year = tag.Year is > 0 and < 10000 ? (int)tag.Year : YearOf(date);
        // A tag with a year and no date field (ID3v1): the year is the date.
        date ??= year?.ToString(CultureInfo.InvariantCulture);

        var title = CleanOne(tag.Title) ?? TitleFromFileName(path);
        return new TrackTags
        {
            Title = title,
            Artists = artists,
            DisplayArtist = displayArtist,
            AlbumArtists = albumArtists,
            DisplayAlbumArtist = displayAlbumArtist,
            Album = CleanOne(tag.Album) ?? UnknownAlbum,
            TrackNumber = Positive(tag.Track) ?? NumberPart(extra.Get("TRACKNUMBER", "TRACK", "WM/TrackNumber"), 0),
            TrackTotal = Positive(tag.TrackCount) ?? NumberPart(extra.Get("TRACKNUMBER", "TRACK", "WM/TrackNumber"), 1) ?? NumberPart(extra.Get("TRACKTOTAL", "TOTALTRACKS"), 0),
            DiscNumber = Positive(tag.Disc) ?? NumberPart(extra.Get("DISCNUMBER", "DISC", "WM/PartOfSet"), 0),
            DiscTotal = Positive(tag.DiscCount) ?? NumberPart(extra.Get("DISCNUMBER", "DISC", "WM/PartOfSet"), 1) ?? NumberPart(extra.Get("DISCTOTAL", "TOTALDISCS"), 0),
            DiscSubtitle = CleanOne(extra.Get("DISCSUBTITLE", "TSST", "SETSUBTITLE", "WM/SetSubTitle")),
            Year = year,
            Date = date,
            OriginalDate = originalDate,
            Genres = SplitGenres(Clean(tag.Genres)),
            Composers = Clean(tag.Composers),
            Isrc = CleanOne(tag.ISRC) ?? CleanOne(extra.Get("ISRC", "TSRC", "WM/ISRC")),
            Bpm = tag.BeatsPerMinute is > 0 and < 1000 ? (int)tag.BeatsPerMinute : null,
            Compilation = compilation,
            MbTrackId = CleanOne(tag.MusicBrainzTrackId) ?? CleanOne(extra.Get("MUSICBRAINZ_TRACKID", "MusicBrainz Track Id")),
            MbAlbumId = CleanOne(tag.MusicBrainzReleaseId) ?? CleanOne(extra.Get("MusicBrainz Album Id")),
            MbArtistId = FirstOf(tag.MusicBrainzArtistId) ?? FirstOf(CleanOne(extra.Get("MusicBrainz Artist Id"))),
            MbAlbumArtistId = FirstOf(tag.MusicBrainzReleaseArtistId) ?? FirstOf(CleanOne(extra.Get("MusicBrainz Album Artist Id"))),
            MbReleaseGroupId = CleanOne(tag.MusicBrainzReleaseGroupId) ?? CleanOne(extra.Get("MusicBrainz Release Group Id")),
            RgTrackGain = Finite(tag.ReplayGainTrackGain) ?? Decibels(extra.Get("REPLAYGAIN_TRACK_GAIN", "replaygain_track_gain")),
            RgTrackPeak = Finite(tag.ReplayGainTrackPeak) ?? Decibels(extra.Get("REPLAYGAIN_TRACK_PEAK", "replaygain_track_peak")),
            RgAlbumGain = Finite(tag.ReplayGainAlbumGain) ?? Decibels(extra.Get("REPLAYGAIN_ALBUM_GAIN", "replaygain_album_gain")),
            RgAlbumPeak = Finite(tag.ReplayGainAlbumPeak) ?? Decibels(extra.Get("REPLAYGAIN_ALBUM_PEAK", "replaygain_album_peak")),
            Lyrics = CleanOne(tag.Lyrics) ?? CleanOne(extra.Get("UNSYNCEDLYRICS", "LYRICS")),
            HasPicture = tag.Pictures is { Length: > 0 },
            Duration = Math.Max(0, properties.Duration.TotalSeconds),
            Bitrate = Math.Max(0, properties.AudioBitrate),
            SampleRate = properties.AudioSampleRate,
            BitDepth = Math.Max(0, properties.BitsPerSample),
            Channels = Math.Max(0, properties.AudioChannels),
            Codec = Codec(file),
        };
    }

    /// <summary>"03 - Song name.mp3" → "Song name": what a file with no title tag is called.</summary>
    public static string TitleFromFileName(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var stripped = TrackPrefix().Replace(name, "");
        return string.IsNullOrWhiteSpace(stripped) ? name : stripped.Trim();
    }

    [GeneratedRegex(@"^\s*(\d{1,2}-)?\d{1,3}(\s*[-._]\s*|\s+)")]
    private static partial Regex TrackPrefix();

    private static string Codec(TagLib.File file)
    {
        var description = file.Properties.Codecs.OfType<IAudioCodec>().FirstOrDefault()?.Description ?? "";
        return file switch
        {
            TagLib.Mpeg.AudioFile => "MP3",
            TagLib.Flac.File => "FLAC",
            TagLib.Ogg.File when description.Contains("Opus", StringComparison.OrdinalIgnoreCase) => "Opus",
            TagLib.Ogg.File when description.Contains("FLAC", StringComparison.OrdinalIgnoreCase) => "FLAC",
            TagLib.Ogg.File => "Vorbis",
            TagLib.Mpeg4.File when description.Contains("alac", StringComparison.OrdinalIgnoreCase) || description.Contains("Lossless", StringComparison.OrdinalIgnoreCase) => "ALAC",
            TagLib.Mpeg4.File => "AAC",
            TagLib.Riff.File => "PCM",
            TagLib.Aiff.File => "PCM",
            TagLib.Asf.File => "WMA",
            TagLib.Ape.File => "APE",
            TagLib.WavPack.File => "WavPack",
            _ => string.IsNullOrEmpty(description) ? "unknown" : description,
        };
    }

    /// <summary>
    /// The fields TagLibSharp's common interface does not expose, collected in one pass over the
    /// file's tags: Vorbis comments and APE items by key, ID3v2 frames by id or TXXX description,
    /// ASF attributes by name, MP4 atoms and iTunes freeform names on demand. A scan asks for
    /// about forty per file; walking the frames forty times was most of the reader's cost.
    /// </summary>
    private sealed class Fields
    {
        private readonly Dictionary<string, string[]> _values = new(StringComparer.OrdinalIgnoreCase);
        private readonly TagLib.Mpeg4.AppleTag? _apple;

        public Fields(TagLib.File file)
        {
            if (file.GetTag(TagTypes.Xiph) is TagLib.Ogg.XiphComment xiph)
                foreach (var key in xiph) Add(key, xiph.GetField(key));
            if (file.GetTag(TagTypes.Id3v2) is TagLib.Id3v2.Tag id3)
                foreach (var frame in id3)
                {
                    if (frame is TagLib.Id3v2.UserTextInformationFrame user) Add(user.Description, user.Text);
                    else if (frame is TagLib.Id3v2.TextInformationFrame text) Add(text.FrameId.ToString(StringType.Latin1), text.Text);
                }
            if (file.GetTag(TagTypes.Ape) is TagLib.Ape.Tag ape)
                foreach (var key in ape)
                    if (ape.GetItem(key) is { Type: TagLib.Ape.ItemType.Text } item) Add(key, item.ToStringArray());
            if (file.GetTag(TagTypes.Asf) is TagLib.Asf.Tag asf)
                foreach (var descriptor in asf)
                    if (descriptor.Name is { } name && !_values.ContainsKey(name)) Add(name, asf.GetDescriptorStrings(name));
            // MP4 freeform names are looked up on demand: there is no cheap way to list them.
            _apple = file.GetTag(TagTypes.Apple) as TagLib.Mpeg4.AppleTag;
        }

        private void Add(string? key, string[]? values)
        {
            if (key is not null && values is { Length: > 0 }) _values.TryAdd(key, values);
        }

        /// <summary>The values of the first of these names that the file has.</summary>
        public string[] Get(params ReadOnlySpan<string> names)
        {
            foreach (var name in names)
            {
                if (_values.TryGetValue(name, out var values)) return values;
                if (_apple is null) continue;
                if (name.Length == 4 && name[0] == '©' || name == "cpil")
                {
                    var text = _apple.GetText(ByteVector.FromString(name, StringType.Latin1));
                    if (text is { Length: > 0 }) return text;
                    if (name == "cpil" && _apple.IsCompilation) return ["1"];
                }
                var dash = _apple.GetDashBoxes("com.apple.iTunes", name);
                if (dash is { Length: > 0 }) return dash;
            }
            return [];
        }
    }

    private static bool Truthy(string[] values) => values.Any(v => v.Trim() is "1" or "true" or "True" or "TRUE" or "yes");

    /// <summary>"3/12" → 3 (part 0) or 12 (part 1): the form several tag formats use for numbers and totals.</summary>
    private static int? NumberPart(string[] values, int part)
    {
        var pieces = values.FirstOrDefault()?.Split('/', StringSplitOptions.TrimEntries);
        return pieces is not null && pieces.Length > part && int.TryParse(pieces[part], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 100000 ? n : null;
    }

    private static int? Positive(uint value) => value is > 0 and < 100000 ? (int)value : null;

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>"-6.50 dB" or "0.988" → the number.</summary>
    private static double? Decibels(string[] values)
    {
        var text = values.FirstOrDefault()?.Trim();
        if (text is null) return null;
        if (text.EndsWith("dB", StringComparison.OrdinalIgnoreCase)) text = text[..^2].Trim();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }

    private static int? YearOf(string? date) =>
        date is { Length: >= 4 } && int.TryParse(date.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y > 0 ? y : null;

    private static string? FirstOf(string? value) =>
        CleanOne(value?.Split(['/', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault());

    /// <summary>Genres often arrive as one "Rock; Pop" string: split on the usual separators.</summary>
    private static IReadOnlyList<string> SplitGenres(IReadOnlyList<string> genres) =>
        genres.SelectMany(g => g.Split([';', '/', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(g => Sanitize(g)!).Where(g => g.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The readable, distinct, non-empty values, in order. (A loop: it runs for about forty fields per file.)</summary>
    private static IReadOnlyList<string> Clean(string[]? values)
    {
        if (values is null || values.Length == 0) return [];
        var clean = new List<string>(values.Length);
        foreach (var value in values)
            if (Sanitize(value) is { Length: > 0 } v && !clean.Contains(v)) clean.Add(v);
        return clean;
    }

    private static string? CleanOne(string[]? values)
    {
        if (values is null) return null;
        foreach (var value in values)
            if (Sanitize(value) is { Length: > 0 } v) return v;
        return null;
    }

    private static string? CleanOne(string? value)
    {
        var clean = Sanitize(value);
        return string.IsNullOrEmpty(clean) ? null : clean;
    }

    /// <summary>
    /// Tags can carry NULs, lone surrogates from broken UTF-16 and control characters: keep what a
    /// person can read, so SQLite, JSON and XML all accept the string.
    /// </summary>
    internal static string? Sanitize(string? value)
    {
        if (value is null) return null;
        var needs = false;
        foreach (var c in value)
            if (char.IsControl(c) && c is not '\n' and not '\r' and not '\t' || char.IsSurrogate(c)) { needs = true; break; }
        if (!needs) return value.Trim();
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { sb.Append(c).Append(value[++i]); continue; }
            if (char.IsSurrogate(c)) { sb.Append('\uFFFD'); continue; }
            if (char.IsControl(c) && c is not '\n' and not '\r' and not '\t') continue;
            sb.Append(c);
        }
        return sb.ToString().Trim();
    }
}

public sealed class TagReadException(string reason, Exception? inner = null) : Exception(reason, inner);
