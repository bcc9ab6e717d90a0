namespace Sillon.Streaming;

/// <summary>
/// Where audio bytes live. The local file system today; S3-compatible object storage (service mode)
/// implements the same seam, answering with a redirect to a signed URL instead of sending bytes.
/// </summary>
public interface IAudioStore
{
    /// <summary>Size and modification time of the stored object, or null when it is gone.</summary>
    ValueTask<StoredObject?> StatAsync(string path, CancellationToken ct);

    /// <summary>Sends <paramref name="count"/> bytes from <paramref name="offset"/> to the response body.</summary>
    Task SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct);
}

public sealed record StoredObject(long Length, DateTimeOffset LastModified);

public sealed class LocalAudioStore : IAudioStore
{
    public ValueTask<StoredObject?> StatAsync(string path, CancellationToken ct)
    {
        var info = new FileInfo(path);
        return ValueTask.FromResult(info.Exists ? new StoredObject(info.Length, new DateTimeOffset(info.LastWriteTimeUtc)) : null);
    }

    private const int Chunk = 256 * 1024, FirstChunk = 16 * 1024;

    /// <summary>
    /// Kestrel has no sendfile(2): its SendFileAsync copies through an asynchronous FileStream in
    /// 64 KiB steps, each a thread-pool hop on Linux. Audio is read from the page cache, so a
    /// synchronous pread of 256 KiB straight into a pooled buffer, then one write to the
    /// response, does the same copy with far fewer hops (measured in bench/range.sh).
    /// </summary>
    public async Task SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken ct)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(Chunk, Math.Max(count, 1)));
        try
        {
            var body = response.Body;
            // A small first piece gets the headers and the first audio out at once (time to first byte).
            var step = Math.Min(buffer.Length, FirstChunk);
            while (count > 0)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(step, count)), offset);
                step = buffer.Length;
                if (n == 0) throw new IOException($"{path} became shorter while it was being sent");
                await body.WriteAsync(buffer.AsMemory(0, n), ct);
                offset += n;
                count -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
