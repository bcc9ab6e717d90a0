using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// Finished transcodes on disk under data/cache/transcodes, bounded in size with least-recently-used
/// eviction. A file only appears here complete: the encoder writes "KEY.part" and it is renamed
/// when ffmpeg exits cleanly, so a reader never sees a half-written entry as finished.
/// </summary>
public sealed partial class TranscodeCache
{
    private readonly string _dir;
    private readonly long _limit;
    private readonly ILogger<TranscodeCache> _log;
    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private readonly Lock _evictLock = new();
    private long _bytes;

    private sealed class Entry(string path, long size, long lastUse)
    {
        public string Path { get; } = path;
        public long Size { get; } = size;
        public long LastUse = lastUse;
    }

    public TranscodeCache(SillonOptions options, IOptions<TranscodeOptions> transcode, ILogger<TranscodeCache> log)
    {
        _dir = System.IO.Path.Combine(options.Data, "cache", "transcodes");
        _limit = transcode.Value.CacheBytes;
        _log = log;
        Directory.CreateDirectory(_dir);
        foreach (var file in new DirectoryInfo(_dir).EnumerateFiles())
        {
            // Leftovers of a process that died mid-transcode are never valid.
            if (file.Name.EndsWith(".part", StringComparison.Ordinal)) { TryDelete(file.FullName); continue; }
            var key = System.IO.Path.GetFileNameWithoutExtension(file.Name);
            _entries[key] = new Entry(file.FullName, file.Length, file.LastAccessTimeUtc.Ticks);
            _bytes += file.Length;
        }
        Evict();
    }

    public long Bytes => Interlocked.Read(ref _bytes);
    public int Count => _entries.Count;

    public static string Key(SourceTrack source, StreamPlan.Transcode plan) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{source.Id}\n{source.MtimeMs}\n{plan.Variant}")), 0, 16).ToLowerInvariant();

    public string PartPath(string key, OutputFormat format) => System.IO.Path.Combine(_dir, $"{key}.{format.Suffix}.part");

    public string? Find(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (!File.Exists(entry.Path))
        {
            if (_entries.TryRemove(key, out var gone)) Interlocked.Add(ref _bytes, -gone.Size);
            return null;
        }
        Volatile.Write(ref entry.LastUse, DateTime.UtcNow.Ticks);
        return entry.Path;
    }

    /// <summary>Turns a finished part file into a cache entry, then evicts down to the limit.</summary>
    public string Commit(string key, string partPath)
    {
        var final = partPath[..^".part".Length];
        File.Move(partPath, final, overwrite: true);
        var size = new FileInfo(final).Length;
        var entry = new Entry(final, size, DateTime.UtcNow.Ticks);
        if (_entries.TryGetValue(key, out var old)) Interlocked.Add(ref _bytes, -old.Size);
        _entries[key] = entry;
        Interlocked.Add(ref _bytes, size);
        Evict();
        return final;
    }

    private void Evict()
    {
        lock (_evictLock)
        {
            if (Bytes <= _limit) return;
            foreach (var (key, entry) in _entries.OrderBy(e => Volatile.Read(ref e.Value.LastUse)).ToList())
            {
                if (Bytes <= _limit) break;
                if (!_entries.TryRemove(key, out _)) continue;
                // A reader that has the file open keeps reading it: unlinking does not disturb it.
                TryDelete(entry.Path);
                Interlocked.Add(ref _bytes, -entry.Size);
                LogEvicted(entry.Path, entry.Size);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Evicted {Path} ({Size} bytes) from the transcode cache")]
    private partial void LogEvicted(string path, long size);
}
