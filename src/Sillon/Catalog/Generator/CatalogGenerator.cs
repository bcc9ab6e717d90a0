using System.Diagnostics;
using System.Globalization;
using Sillon.Library;

namespace Sillon.Catalog.Generator;

/// <summary>
/// A synthetic catalog for scale work: artists in order of popularity (Zipf), each with albums
/// (singles, EPs, LPs, multi-disc sets, compilations), tracks with names in many scripts, genres,
/// years, ISRCs and a popularity score. Deterministic for a seed: the same seed gives the same
/// catalog, row for row, whichever database receives it.
/// </summary>
/// <remarks>
/// Ids follow popularity: artist 1 is the most played, and albums and tracks are numbered artist by
/// artist. Every track's audio is one of a few real files (see <see cref="SampleAudio"/>), so that
/// streaming and transcoding work on a catalog of millions.
/// </remarks>
public sealed class CatalogGenerator(long trackCount, int seed, IReadOnlyList<SampleAudio.Sample> samples, string rootPath, DateTimeOffset now)
{
    public sealed record Artist(long Id, string Name, string SortName, string Key, string? MbzId, long Popularity, string CreatedAt);

    public sealed record Album(long Id, string Key, string Name, string SortName, string DisplayArtist, bool Compilation, string? MbzId,
        int Year, string Genre, int TrackCount, int DiscCount, double Duration, long Size, long Popularity, string CreatedAt, long ArtistId)
    {
        /// <summary>albums.artist_refs: the one album artist, as album_artists holds it.</summary>
        public string ArtistRefs => Catalog.ArtistRefs.Write([(ArtistId, DisplayArtist)]);
    }

    public sealed record Track(long Id, long AlbumId, string Path, string MediaPath, long Size, long Mtime, string Title, string SortTitle,
        string DisplayArtist, string DisplayAlbumArtist, int TrackNumber, int TrackTotal, int DiscNumber, int DiscTotal, int Year,
        string Isrc, bool Compilation, double Duration, int Bitrate, int SampleRate, int BitDepth, int Channels, string Codec,
        string Suffix, string ContentType, long Popularity, string CreatedAt, long ArtistId, long AlbumArtistId, long GenreId, long? SecondGenreId);

    /// <summary>What a writer receives: one artist with all its albums and their tracks, in id order.</summary>
    public sealed record Batch(Artist Artist, List<Album> Albums, List<Track> Tracks);

    public static IReadOnlyList<string> GenreNames => SyntheticNames.Genres;

    /// <summary>The catalog, artist by artist, until exactly <c>trackCount</c> tracks.</summary>
    public IEnumerable<Batch> Batches()
    {
        var random = new Random(seed);
        var artistNames = new List<string>(); // for compilations: artists already written, by id - 1
        long albumId = 0, trackId = 0;
        for (long rank = 1; trackId < trackCount; rank++)
        {
            var artistName = SyntheticNames.ArtistName(random);
            artistNames.Add(artistName);
            var artistPopularity = Math.Max(1L, (long)(1_000_000 * Math.Pow(rank, -0.8)));
            var artist = new Artist(rank, artistName, Names.SortKey(artistName), $"generated:{rank}",
                random.Next(10) < 3 ? Uuid(random) : null, artistPopularity, Created(random));
            var batch = new Batch(artist, [], []);

            // Popular artists have long discographies; the long tail has one or two releases.
            var albumCount = 1;
            var more = 0.25 + 0.6 * Math.Pow(rank, -0.15);
            while (albumCount < 40 && random.NextDouble() < more) albumCount++;

            for (var a = 0; a < albumCount && trackId < trackCount; a++)
            {
                albumId++;
                var kind = random.Next(100);
                var tracks = kind switch
                {
                    < 25 => 1 + random.Next(3),      // single
                    < 40 => 4 + random.Next(3),      // EP
                    < 95 => 8 + random.Next(9),      // LP
                    _ => 18 + random.Next(13),       // deluxe or box: several discs
                };
                tracks = (int)Math.Min(tracks, trackCount - trackId);
                var discs = tracks >= 18 ? 2 + random.Next(2) : 1;
                var perDisc = (tracks + discs - 1) / discs;
                var compilation = rank > 50 && random.Next(100) < 4;
                var year = 2026 - (int)(76 * Math.Pow(random.NextDouble(), 2));
                var genreId = 1 + (long)(SyntheticNames.Genres.Length * Math.Pow(random.NextDouble(), 3));
                long? secondGenre = random.Next(5) == 0 ? 1 + random.Next(SyntheticNames.Genres.Length) : null;
                if (secondGenre == genreId) secondGenre = null;
                var albumName = SyntheticNames.Name(random, 4);
                var albumPopularity = Math.Max(1L, (long)(artistPopularity * (0.3 + 0.7 * random.NextDouble())));
                var created = Created(random);
                var mbz = random.Next(10) < 3 ? Uuid(random) : null;
                double duration = 0;
                long size = 0;
                for (var t = 0; t < tracks; t++)
                {
                    trackId++;
                    var sample = samples[random.Next(samples.Count)];
                    var (performerId, performer) = compilation
                        ? PickEarlier(random, artistNames)
                        : (rank, artistName);
                    var title = SyntheticNames.Name(random, 4);
                    if (random.Next(25) == 0) title += $" (feat. {artistNames[random.Next(artistNames.Count)]})";
                    var disc = t / perDisc + 1;
                    var number = t % perDisc + 1;
                    // Opening tracks and singles are played most.
                    var popularity = Math.Max(1L, (long)(albumPopularity * (t == 0 ? 1.0 : 0.2 + 0.6 * random.NextDouble())));
                    batch.Tracks.Add(new Track(trackId, albumId,
                        $"{rootPath}/{rank:D8}/{albumId:D9}/{disc}-{number:D2}.{sample.Suffix}", sample.Path, sample.Size, sample.MtimeMs,
                        title, Names.SortKey(title), performer, artistName, number, discs == 1 ? tracks : Math.Min(perDisc, tracks - (disc - 1) * perDisc),
                        disc, discs, year, Isrc(random, year, trackId), compilation, sample.Duration, sample.Bitrate, sample.SampleRate,
                        sample.BitDepth, sample.Channels, sample.Codec, sample.Suffix, sample.ContentType, popularity, created,
                        performerId, rank, genreId, secondGenre));
                    duration += sample.Duration;
                    size += sample.Size;
                }
                batch.Albums.Add(new Album(albumId, $"generated:{albumId}", albumName, Names.SortKey(albumName), artistName, compilation, mbz,
                    year, SyntheticNames.Genres[genreId - 1], tracks, discs, duration, size, albumPopularity, created, rank));
            }
            yield return batch;
        }
    }

    /// <summary>
    /// <see cref="Batches"/>, generated on another thread a few hundred batches ahead of the caller:
    /// a load's writer then has a core of its own (the generator was a tenth of a SQLite load's CPU).
    /// </summary>
    public IEnumerable<Batch> BatchesAhead(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var queue = new System.Collections.Concurrent.BlockingCollection<Batch>(boundedCapacity: 256);
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var batch in Batches()) queue.Add(batch, stop.Token);
            }
            finally
            {
                queue.CompleteAdding();
            }
        }, stop.Token);
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(stop.Token)) yield return batch;
            producer.GetAwaiter().GetResult(); // the generator's own failure, if any
        }
        finally
        {
            // The caller stopped early (an error, a cancellation): stop the producer before the queue goes.
            stop.Cancel();
            try { producer.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
    }

    private static (long Id, string Name) PickEarlier(Random random, List<string> names)
    {
        // Zipf-ish: guests on compilations are mostly popular artists.
        var i = (int)(names.Count * Math.Pow(random.NextDouble(), 2));
        return (i + 1, names[i]);
    }

    private string Created(Random random) =>
        now.AddSeconds(-random.Next(3 * 365 * 24 * 3600)).UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static string Uuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }

    // CC-XXX-YY-NNNNN: country, registrant, year of reference, designation (unique per track here).
    private static readonly string[] Countries = ["FR", "GB", "US", "DE", "JP", "KR", "RU", "BR", "SE", "EG", "GR", "ES"];

    private static string Isrc(Random random, int year, long trackId) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Countries[random.Next(Countries.Length)]}{(char)('A' + random.Next(26))}{(char)('A' + random.Next(26))}{random.Next(10)}{year % 100:D2}{trackId % 100000:D5}");
}

/// <summary>
/// A few real audio files (WAV, written here without any tool) that the tracks of a generated
/// catalog point at: streaming, ranges and transcoding then work on real audio.
/// </summary>
public static class SampleAudio
{
    public sealed record Sample(string Path, long Size, long MtimeMs, double Duration, int Bitrate, int SampleRate, int BitDepth,
        int Channels, string Codec, string Suffix, string ContentType);

    private const int SampleRate = 22050, Channels = 1, BitDepth = 16;

    public static IReadOnlyList<Sample> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var samples = new List<Sample>();
        // Eight lengths and pitches: short enough to keep the data folder small, long enough to seek in.
        int[] seconds = [20, 35, 50, 65, 80, 95, 110, 125];
        double[] hertz = [220, 247, 262, 294, 330, 349, 392, 440];
        for (var i = 0; i < seconds.Length; i++)
        {
            var path = System.IO.Path.Combine(folder, $"sample-{i + 1}.wav");
            if (!File.Exists(path)) WriteTone(path, seconds[i], hertz[i]);
            var info = new FileInfo(path);
            samples.Add(new Sample(path, info.Length, new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeMilliseconds(), seconds[i],
                SampleRate * Channels * BitDepth / 1000, SampleRate, BitDepth, Channels, "pcm_s16le", "wav", AudioFormats.ContentType("wav")));
        }
        return samples;
    }

    private static void WriteTone(string path, int seconds, double hertz)
    {
        var frames = SampleRate * seconds;
        var dataBytes = frames * Channels * BitDepth / 8;
        var temp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(temp)))
        {
            w.Write("RIFF"u8);
            w.Write(36 + dataBytes);
            w.Write("WAVEfmt "u8);
            w.Write(16);
            w.Write((short)1);
            w.Write((short)Channels);
            w.Write(SampleRate);
            w.Write(SampleRate * Channels * BitDepth / 8);
            w.Write((short)(Channels * BitDepth / 8));
            w.Write((short)BitDepth);
            w.Write("data"u8);
            w.Write(dataBytes);
            for (var n = 0; n < frames; n++)
            {
                // A tone that fades in and out over each second: audible, and not one flat block.
                var envelope = 0.5 - 0.5 * Math.Cos(2 * Math.PI * (n % SampleRate) / SampleRate);
                w.Write((short)(8000 * envelope * Math.Sin(2 * Math.PI * hertz * n / SampleRate)));
            }
        }
        File.Move(temp, path, overwrite: true);
    }
}
