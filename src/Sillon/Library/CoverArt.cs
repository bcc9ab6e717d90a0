using System.Security.Cryptography;
using System.Text;
using Dapper;
using SkiaSharp;
using Sillon.Data;

namespace Sillon.Library;

public sealed record CoverImage(string Path, string ContentType);

/// <summary>
/// Album covers, stored by reference (a folder image, or a track with an embedded picture) and
/// resized on request into a disk cache under data/cache/covers, so a cover is decoded once per
/// size, not once per request.
/// </summary>
public sealed partial class CoverArt(Database db, SillonOptions options, ILogger<CoverArt> log)
{
    public const int MinSize = 16, MaxSize = 1500;
    private readonly string _cacheDir = Path.Combine(options.Data, "cache", "covers");

    public async Task<CoverImage?> AlbumCoverAsync(long albumId, int? size, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(string? CoverPath, string? TrackPath)>(new CommandDefinition("""
            SELECT a.cover_path, t.path FROM albums a LEFT JOIN tracks t ON t.id = a.cover_track_id WHERE a.id = @albumId
            """, new { albumId }, cancellationToken: ct));
        CoverImage? original = null;
        if (row.CoverPath is not null && File.Exists(row.CoverPath))
            original = new CoverImage(row.CoverPath, AudioFormats.ImageContentType(row.CoverPath));
        else if (row.TrackPath is not null)
            original = await EmbeddedAsync(row.TrackPath, ct);
        if (original is null) return null;
        if (size is null) return original;
        return await ResizedAsync(original, Math.Clamp(size.Value, MinSize, MaxSize), ct);
    }

    /// <summary>Extracts an embedded front cover once into the cache, keyed by the file's path, size and time.</summary>
    private async Task<CoverImage?> EmbeddedAsync(string trackPath, CancellationToken ct)
    {
        var info = new FileInfo(trackPath);
        if (!info.Exists) return null;
        var key = Key(trackPath, info.Length, info.LastWriteTimeUtc.Ticks, 0);
        var cached = Directory.Exists(_cacheDir) ? Directory.EnumerateFiles(_cacheDir, key + ".*").FirstOrDefault() : null;
        if (cached is not null) return new CoverImage(cached, AudioFormats.ImageContentType(cached));
        try
        {
            using var file = TagLib.File.Create(trackPath);
            var picture = file.Tag.Pictures.FirstOrDefault(p => p.Type == TagLib.PictureType.FrontCover) ?? file.Tag.Pictures.FirstOrDefault();
            if (picture is null) return null;
            var ext = picture.MimeType?.ToLowerInvariant() switch { "image/png" => "png", "image/webp" => "webp", "image/gif" => "gif", _ => "jpg" };
            var path = Path.Combine(_cacheDir, $"{key}.{ext}");
            await WriteAtomicallyAsync(path, picture.Data.Data, ct);
            return new CoverImage(path, AudioFormats.ImageContentType(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TagLib.CorruptFileException or TagLib.UnsupportedFormatException)
        {
            LogCoverUnreadable(trackPath, e.Message);
            return null;
        }
    }

    private async Task<CoverImage?> ResizedAsync(CoverImage original, int size, CancellationToken ct)
    {
        var info = new FileInfo(original.Path);
        var path = Path.Combine(_cacheDir, Key(original.Path, info.Length, info.LastWriteTimeUtc.Ticks, size) + ".jpg");
        if (File.Exists(path)) return new CoverImage(path, "image/jpeg");
        var bytes = await File.ReadAllBytesAsync(original.Path, ct);
        using var bitmap = SKBitmap.Decode(bytes);
        if (bitmap is null)
        {
            LogCoverUnreadable(original.Path, "not a decodable image");
            return null;
        }
        // Never upscale: a 300 px request for a 200 px cover gets the 200 px cover, re-encoded.
        var scale = Math.Min(1.0, (double)size / Math.Max(bitmap.Width, bitmap.Height));
        var width = Math.Max(1, (int)Math.Round(bitmap.Width * scale));
        var height = Math.Max(1, (int)Math.Round(bitmap.Height * scale));
        using var resized = bitmap.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKCubicResampler.Mitchell)) ?? bitmap;
        using var image = SKImage.FromBitmap(resized);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        await WriteAtomicallyAsync(path, data.ToArray(), ct);
        return new CoverImage(path, "image/jpeg");
    }

    private static string Key(string path, long length, long ticks, int size) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{path}\n{length}\n{ticks}\n{size}")), 0, 16).ToLowerInvariant() + (size > 0 ? $"-{size}" : "");

    private async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken ct)
    {
        Directory.CreateDirectory(_cacheDir);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, ct);
        File.Move(temp, path, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read cover art from {Path}: {Reason}")]
    private partial void LogCoverUnreadable(string path, string reason);
}
